using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Cli.Tests;

/// <summary><c>tarmac upload</c> and <c>tarmac status</c> against the local host.</summary>
public sealed class UploadTests : IDisposable
{
    private readonly ConcurrentQueue<string> _encodings = new();
    private readonly TarmacHost _host;

    public UploadTests() => _host = new TarmacHost(services: s => s.AddSingleton<IStartupFilter>(new EncodingRecorder(_encodings)));

    public void Dispose() => _host.Dispose();

    private static string[] StatusLines(string id, string file, long bytes, string status, int loaded, int rejected) =>
    [
        $"upload_id: {id}", $"file: {file}", "dataset: flights", $"status: {status}", $"bytes: {bytes}", $"rows_loaded: {loaded}", $"rows_rejected: {rejected}",
    ];

    [Fact]
    public async Task Upload_with_wait_prints_the_id_and_the_final_status_and_status_shows_the_same()
    {
        var path = Cli.File("seed.csv", SampleData.SeedCsv);
        var upload = await Cli.RunAsync(_host, "upload", path, "--wait");
        Assert.Equal((0, ""), (upload.Exit, ErrorsOnly(upload.Err)));
        var id = upload.OutLines[0]["upload_id: ".Length..];
        Assert.Matches("^[0-9a-f]{32}$", id);
        var expected = StatusLines(id, "seed.csv", new FileInfo(path).Length, "loaded", 7, 0);
        Assert.Equal(expected, upload.OutLines);

        var status = await Cli.RunAsync(_host, "status", id);
        Assert.Equal((0, ""), (status.Exit, status.Err));
        Assert.Equal(expected, status.OutLines);

        // And the server agrees: the rows are there.
        var rows = await _host.Http.GetFromJsonAsync<JsonElement>("/getdata?fields=id&sort=id&limit=100");
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], rows.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task A_file_with_bad_rows_prints_each_row_error_with_its_line_and_exits_3()
    {
        var lines = SampleData.SeedCsv.Split('\n');
        lines[3] = lines[3].Replace(",2.0,923.0,", ",soon,923.0,", StringComparison.Ordinal); // id 2, file line 4: dep_delay
        lines[6] = "5,2013,1,1"; // id 5, file line 7: too few fields
        var path = Cli.File("bad.csv", string.Join('\n', lines));

        var upload = await Cli.RunAsync(_host, "upload", path, "--wait");
        Assert.Equal(3, upload.Exit);
        var id = upload.OutLines[0]["upload_id: ".Length..];
        var doc = await _host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{id}");
        var errors = doc.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([4L, 7L], errors.Select(e => e.GetProperty("line").GetInt64()));
        Assert.Equal("dep_delay", errors[0].GetProperty("column").GetString());

        string[] expected =
        [
            .. StatusLines(id, "bad.csv", new FileInfo(path).Length, "partially_loaded", 5, 2),
            "errors:",
            $"  line 4, column dep_delay, value \"soon\": {errors[0].GetProperty("reason").GetString()}",
            $"  line 7, value \"{errors[1].GetProperty("value").GetString()}\": {errors[1].GetProperty("reason").GetString()}",
        ];
        Assert.Equal(expected, upload.OutLines);
        var status = await Cli.RunAsync(_host, "status", id);
        Assert.Equal(3, status.Exit);
        Assert.Equal(expected, status.OutLines);
    }

    [Fact]
    public async Task Without_wait_it_prints_the_stored_upload_and_status_watch_waits_for_its_outcome()
    {
        var path = Cli.File("seed.csv", SampleData.SeedCsv);
        var upload = await Cli.RunAsync(_host, "upload", path, "--json");
        Assert.Equal(0, upload.Exit);
        var answer = JsonDocument.Parse(upload.OutLines.Single()).RootElement;
        Assert.Equal("stored", answer.GetProperty("status").GetString());

        var id = answer.GetProperty("upload_id").GetString()!;
        var watch = await Cli.RunAsync(_host, "status", id, "--watch");
        Assert.Equal(0, watch.Exit);
        Assert.Equal(StatusLines(id, "seed.csv", new FileInfo(path).Length, "loaded", 7, 0), watch.OutLines);
        Assert.Equal($"{id}: loaded", watch.ErrLines[^1]);
    }

    [Fact]
    public async Task Several_files_are_several_uploads_and_gzip_always_sends_them_compressed()
    {
        var a = Cli.File("a.csv", SampleData.SeedCsv);
        var b = Cli.File("b.csv", new Tarmac.DataGen.FlightsGenerator(9).ToArray(40));
        var upload = await Cli.RunAsync(_host, "upload", a, b, "--wait", "--gzip", "always");
        Assert.Equal(0, upload.Exit);
        var blocks = upload.Out.Split("\n\n");
        Assert.Equal(2, blocks.Length);
        Assert.Contains("rows_loaded: 7\n", blocks[0], StringComparison.Ordinal);
        Assert.Contains("rows_loaded: 40\n", blocks[1], StringComparison.Ordinal);
        // The server stored the CSV itself (it took the gzip off): the byte counts are the files' sizes.
        Assert.Contains($"bytes: {new FileInfo(b).Length}\n", blocks[1], StringComparison.Ordinal);
        Assert.Equal(["gzip", "gzip"], _encodings);

        // auto on loopback: compression would only cost CPU.
        await Cli.RunAsync(_host, "upload", Cli.File("c.csv", new Tarmac.DataGen.FlightsGenerator(10).ToArray(10_000)));
        Assert.Equal(["gzip", "gzip", ""], _encodings);
    }

    /// <summary>Records the Content-Encoding of every upload request the host receives.</summary>
    private sealed class EncodingRecorder(ConcurrentQueue<string> encodings) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((ctx, nextMiddleware) =>
            {
                if (ctx.Request.Method == "POST" && ctx.Request.Path.Value!.EndsWith("/upload", StringComparison.Ordinal))
                    encodings.Enqueue(ctx.Request.Headers.ContentEncoding.ToString());
                return nextMiddleware(ctx);
            });
            next(app);
        };
    }

    [Fact]
    public async Task Progress_on_a_stderr_that_is_not_a_terminal_is_plain_lines_ending_at_100_percent()
    {
        var bytes = new Tarmac.DataGen.FlightsGenerator(3).ToArray(6000);
        var path = Cli.File("big.csv", bytes);
        var upload = await Cli.RunAsync(_host, "upload", path);
        Assert.Equal(0, upload.Exit);
        var progress = upload.ErrLines;
        Assert.Equal($"big.csv: sending {Tarmac.Cli.Upload.ByteText.Size(bytes.Length)}", progress[0]);
        Assert.Matches($@"^big\.csv: 100% {Size(bytes.Length)} of {Size(bytes.Length)}, [0-9.]+ [KMG]?i?B/s, done in \d+:\d\d:\d\d$", progress[^1]);
        Assert.True(progress.Length >= 3, upload.Err); // 256 KiB reads: the file passes several tenths on the way
        Assert.All(progress, l => Assert.StartsWith("big.csv: ", l, StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', upload.Err);
    }

    private static string Size(long bytes) => System.Text.RegularExpressions.Regex.Escape(Tarmac.Cli.Upload.ByteText.Size(bytes));

    /// <summary>stderr without the progress and status-change lines.</summary>
    private static string ErrorsOnly(string err) => string.Join('\n', err.Split('\n').Where(l => l.StartsWith("error", StringComparison.Ordinal)));
}
