using System.Net;
using System.Text.Json;
using Tarmac.Core.Datasets;
using Tarmac.Testing;

namespace Tarmac.Query.Tests;

/// <summary>
/// Pages too large to buffer (NDJSON/CSV exports) take the other path: a boundary query for the Link header, then the
/// streamed page. TARMAC_BUFFERED_PAGE_ROWS=0 sends every page that way, so walks prove it exact too.
/// </summary>
public sealed class StreamedPagingTests : IAsyncLifetime, IDisposable
{
    private TarmacHost _host = null!;
    private GeneratedDataset _typed = null!;

    public async Task InitializeAsync()
    {
        var schemas = Generate.SchemaDir();
        SchemaCatalog.Load(schemas).TryGet("typed", out var typed);
        _host = new TarmacHost(schemaDir: schemas, settings: new Dictionary<string, string?> { ["TARMAC_BUFFERED_PAGE_ROWS"] = "0" });
        _typed = new GeneratedDataset(typed);
        await Generate.UploadAsync(_host, "typed", _typed.AddUpload(0, Generate.TypedRows(0, 300, 5)));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _host?.Dispose();

    [Theory]
    [InlineData("/datasets/typed/rows?sort=-t&limit=50", "-t")]
    [InlineData("/datasets/typed/rows?sort=n,-d,b&limit=23", "n,-d,b")]
    [InlineData("/datasets/typed/rows?sort=-s&format=ndjson&limit=41", "-s")]
    public async Task Walking_streamed_pages_returns_every_row_once_in_order(string url, string sort)
    {
        var ids = new List<string>();
        var pages = 0;
        for (string? next = url; next is not null; pages++)
        {
            var response = await _host.Http.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            var rows = text.StartsWith('[') ? JsonDocument.Parse(text).RootElement.EnumerateArray().ToList()
                : text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            ids.AddRange(rows.Select(r => Canon.Of(ColumnType.Integer, r.GetProperty(_typed.KeyColumn))));
            next = response.NextLink();
        }
        Assert.True(pages > 1);
        var keys = sort.Split(',').Select(k => (k.TrimStart('-'), k.StartsWith('-'))).ToArray();
        Assert.Equal(Canon.SortLikeApi(_typed.Rows, keys).Select(r => Canon.Of(r[_typed.KeyColumn])).ToList(), ids);
    }
}
