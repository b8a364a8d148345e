using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.DataGen;
using Tarmac.Testing;

namespace Tarmac.Cli.Tests;

/// <summary>
/// A file over the host's direct limit: the direct POST is refused (413, before the body is sent), <c>POST /uploads</c>
/// hands out a signed resumable URL, the connection drops in the middle of the second chunk, and the CLI asks the
/// bucket how much it kept and goes on from there. The upload ends loaded with exactly the file's rows.
/// </summary>
public sealed class ResumableUploadTests : IAsyncLifetime
{
    private const int DirectLimit = 64 << 10;
    private readonly ResumableBucket _bucket = new();
    private TarmacHost _host = null!;

    public Task InitializeAsync()
    {
        _host = new TarmacHost(
            settings: new Dictionary<string, string?> { ["TARMAC_MAX_UPLOAD_BYTES"] = DirectLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            services: s => s.AddSingleton(_bucket.Signer()));
        _bucket.Attach(_host.Services);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _bucket.DisposeAsync();
    }

    [Fact]
    public async Task An_interrupted_resumable_upload_resumes_where_the_bucket_stands_and_loads_every_row_once()
    {
        const int rows = 6000;
        var bytes = new FlightsGenerator(11).ToArray(rows);
        Assert.True(bytes.Length > 2 * 262144 + 100_000, "the file spans three chunks");
        var path = Cli.File("large.csv", bytes);
        _bucket.DropOnce = 100_000;

        var env = new Dictionary<string, string?> { ["TARMAC_URL"] = _host.Http.BaseAddress!.ToString(), ["TARMAC_TOKEN"] = "a-tarmac-token" };
        var run = await Cli.RunAsync(env, "upload", path, "--wait", "--chunk-size", "262144");
        Assert.True(run.Exit == 0, run.Out + run.Err);
        Assert.Equal(0, _bucket.AuthorizationHeadersSeen); // the token goes to Tarmac only, never to the signed URL

        // Chunk 1 whole, chunk 2 cut after 100,000 bytes, the status asked, then the rest from byte 362,144 on.
        var total = bytes.Length;
        Assert.Equal(1, _bucket.Drops);
        Assert.Equal(
        [
            $"bytes 0-262143/{total}", $"bytes 262144-524287/{total}", $"bytes */{total}",
            $"bytes 362144-{Math.Min(362144 + 262144, total) - 1}/{total}", .. total > 362144 + 262144 ? [$"bytes {362144 + 262144}-{total - 1}/{total}"] : Array.Empty<string>(),
        ], _bucket.Ranges);
        Assert.Equal(bytes, _bucket.Objects.Values.Single());
        Assert.Contains(run.ErrLines, l => l.StartsWith("large.csv: the server refuses it as a direct upload", StringComparison.Ordinal));
        Assert.Contains("large.csv: resuming from byte 362144", run.ErrLines);

        var id = run.OutLines[0]["upload_id: ".Length..];
        Assert.Equal(
        [
            $"upload_id: {id}", "file: large.csv", "dataset: flights", "status: loaded", $"bytes: {total}", $"rows_loaded: {rows}", "rows_rejected: 0",
        ], run.OutLines);
        var dataset = await _host.Http.GetFromJsonAsync<JsonElement>("/datasets/flights");
        Assert.Equal(rows, dataset.GetProperty("rows").GetInt64());
        var last = await _host.Http.GetFromJsonAsync<JsonElement>("/getdata?fields=id&sort=-id&limit=1");
        Assert.Equal(rows - 1, last[0].GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task A_file_over_the_direct_limit_option_goes_straight_to_POST_uploads()
    {
        var bytes = new FlightsGenerator(12).ToArray(600);
        var path = Cli.File("mid.csv", bytes);
        var run = await Cli.RunAsync(_host, "upload", path, "--wait", "--chunk-size", "262144", "--direct-limit", "1000");
        Assert.True(run.Exit == 0, run.Out + run.Err);
        Assert.DoesNotContain(run.ErrLines, l => l.Contains("refuses", StringComparison.Ordinal));
        Assert.Equal($"bytes 0-{bytes.Length - 1}/{bytes.Length}", _bucket.Ranges.Single());
        Assert.Contains("rows_loaded: 600", run.OutLines);
    }

    [Fact]
    public async Task A_503_from_the_bucket_is_retried_from_the_offset_the_session_reports()
    {
        var bytes = new FlightsGenerator(13).ToArray(3000);
        var path = Cli.File("retry.csv", bytes);
        _bucket.Unavailable503Once = true;
        var run = await Cli.RunAsync(_host, "upload", path, "--wait", "--chunk-size", "262144", "--direct-limit", "1000");
        Assert.True(run.Exit == 0, run.Out + run.Err);
        Assert.Equal($"bytes 0-262143/{bytes.Length}", _bucket.Ranges.First());
        Assert.Equal([$"bytes 0-262143/{bytes.Length}", $"bytes */{bytes.Length}", $"bytes 0-262143/{bytes.Length}"], _bucket.Ranges.Take(3));
        Assert.Equal(bytes, _bucket.Objects.Values.Single());
        Assert.Contains("rows_loaded: 3000", run.OutLines);
    }

    [Fact]
    public async Task An_expired_session_is_a_clear_error_and_exit_code_1()
    {
        var path = Cli.File("late.csv", new FlightsGenerator(14).ToArray(600));
        _bucket.SessionsExpired = true;
        var run = await Cli.RunAsync(_host, "upload", path, "--chunk-size", "262144", "--direct-limit", "1000");
        Assert.Equal((1, ""), (run.Exit, run.Out));
        Assert.Equal("error: The upload session has expired (the bucket answered 404); run the upload again.", run.ErrLines[^1]);
    }
}
