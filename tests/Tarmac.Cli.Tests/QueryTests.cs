using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.DataGen;
using Tarmac.Testing;

namespace Tarmac.Cli.Tests;

/// <summary><c>tarmac query</c>, <c>stats</c> and <c>datasets</c> over rows uploaded with the CLI.</summary>
public sealed class QueryTests : IAsyncLifetime
{
    private const int Rows = 53;
    private readonly TarmacHost _host = new();

    public async Task InitializeAsync()
    {
        var path = Cli.File("flights.csv", new FlightsGenerator(5).ToArray(Rows));
        var upload = await Cli.RunAsync(_host, "upload", path, "--wait");
        Assert.True(upload.Exit == 0, upload.Out + upload.Err);
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Query_all_follows_the_cursors_and_returns_every_row_exactly_once()
    {
        var run = await Cli.RunAsync(_host, "query", "--all", "--limit", "7", "--fields", "id,carrier", "--sort", "id", "--format", "ndjson");
        Assert.Equal((0, ""), (run.Exit, run.Err));
        var expected = (await _host.Http.GetFromJsonAsync<JsonElement>($"/getdata?fields=id,carrier&sort=id&limit={Rows}")).EnumerateArray()
            .Select(r => $"{{\"id\":{r.GetProperty("id").GetInt32()},\"carrier\":\"{r.GetProperty("carrier").GetString()}\"}}").ToArray();
        Assert.Equal(Rows, expected.Length);
        Assert.Equal(expected, run.OutLines);
        Assert.Equal(Enumerable.Range(0, Rows), run.OutLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task Csv_across_pages_has_one_header_and_every_row()
    {
        var run = await Cli.RunAsync(_host, "query", "--all", "--limit", "10", "--fields", "id", "--sort", "-id", "--format", "csv");
        Assert.Equal(0, run.Exit);
        string[] expected = ["id", .. Enumerable.Range(0, Rows).Reverse().Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(expected, run.OutLines.Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public async Task Without_all_one_page_and_filters_are_passed_as_written()
    {
        var page = await Cli.RunAsync(_host, "query", "--limit", "7", "--fields", "id", "--sort", "id", "--format", "ndjson");
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"{{\"id\":{i}}}"), page.OutLines);

        var filtered = await Cli.RunAsync(_host, "query", "--filter", "id__lt=20", "--filter", "id__gte=17", "--fields", "id", "--sort", "id", "--format", "ndjson");
        Assert.Equal(["{\"id\":17}", "{\"id\":18}", "{\"id\":19}"], filtered.OutLines);
    }

    [Fact]
    public async Task Table_output_has_a_header_and_one_line_per_row()
    {
        var run = await Cli.RunAsync(_host, "query", "--filter", "id__in=3,4", "--fields", "id,origin", "--sort", "id");
        Assert.Equal(0, run.Exit);
        var rows = (await _host.Http.GetFromJsonAsync<JsonElement>("/getdata?id__in=3,4&fields=id,origin&sort=id")).EnumerateArray().ToList();
        var cells = run.OutLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(c => c.Length == 2).ToList();
        Assert.Equal([["id", "origin"], ["3", rows[0].GetProperty("origin").GetString()!], ["4", rows[1].GetProperty("origin").GetString()!]], cells);
    }

    [Fact]
    public async Task Stats_and_datasets_show_what_the_server_answers()
    {
        var stats = await Cli.RunAsync(_host, "stats", "--group-by", "origin", "--sort", "origin", "--format", "json");
        var direct = await _host.Http.GetStringAsync("/datasets/flights/stats?group_by=origin&sort=origin");
        Assert.Equal((0, JsonDocument.Parse(direct).RootElement.GetRawText()), (stats.Exit, stats.Out.TrimEnd('\n')));

        var datasets = await Cli.RunAsync(_host, "datasets");
        Assert.Equal(0, datasets.Exit);
        var flights = datasets.OutLines.Single(l => l.TrimStart().StartsWith("flights ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(("flights", $"{Rows}", "21"), (flights[0], flights[1], flights[^1]));
    }
}
