using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Query.Tests;

/// <summary>
/// Issue 13, defect 5: a slow reader of a big export holds its warehouse connection for at most TARMAC_EXPORT_TIME_LIMIT,
/// then the response is cut off in a way the client can detect (NDJSON: a last "$error" line; CSV: no terminating chunk).
/// The reader here reads slowly until the host logs the cut-off (polled), so the test asserts the signal, not a duration.
/// </summary>
public sealed class ExportTimeLimitTests : IDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly TarmacHost _host;
    private readonly HttpClient _socket;

    public ExportTimeLimitTests()
    {
        _host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_EXPORT_TIME_LIMIT"] = "00:00:00.200" },
            services: s => s.AddSingleton<ILoggerProvider>(new Capture(_log)));
        // A socket client of its own, so that not reading pushes back on the host through TCP.
        _socket = new HttpClient { BaseAddress = _host.Http.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public void Dispose()
    {
        _socket.Dispose();
        _host.Dispose();
    }

    /// <summary>Far more rows than socket buffers hold (about 60 MB of NDJSON), so a reader that stops holds the export.</summary>
    private async Task SeedAsync()
    {
        await Generate.UploadAsync(_host, "flights", SampleData.SeedCsv);
        using var c = _host.Services.GetRequiredService<DuckDbDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO flights SELECT 1000 + i, 2013, 1 + i % 12, 1 + i % 28, i % 2400, i % 2400, (i * 7919) % 1000 - 100.0, i % 2400, i % 2400, (i * 104729) % 997 - 50.0,
              'C' || (i % 17), CAST(i % 5000 AS VARCHAR), 'N' || (i % 100000), 'EWR', 'LAX', 100.0, 1000.0, 5, 0, TIMESTAMP '2013-01-01', 'Bulk ' || (i % 1000),
              '00000000000000000000000000000000', i, TIMESTAMP '2000-01-01'
            FROM range(150000) t(i)
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Opens the export and reads it slowly (a pause every 200 lines) until the host has logged the cut-off; returns the
    /// lines read so far, and the rest of the body to read at full speed.
    /// </summary>
    private async Task<(HttpResponseMessage Response, StreamReader Body, List<string> Lines)> OpenAndReadSlowlyAsync(string url)
    {
        var response = await _socket.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!_log.Any(l => l.Contains("cut off after the export time limit", StringComparison.Ordinal)))
        {
            for (var i = 0; i < 200 && await body.ReadLineAsync(timeout.Token) is { } line; i++) lines.Add(line);
            await Task.Delay(10, timeout.Token); // the slowness of the reader; the loop ends on the host's log, polled
        }
        return (response, body, lines);
    }

    [Fact]
    public async Task A_stalled_ndjson_export_ends_with_an_error_line_after_whole_rows()
    {
        await SeedAsync();
        var (response, body, lines) = await OpenAndReadSlowlyAsync("/getdata?format=ndjson&limit=1000000");
        using var _ = response;

        while (await body.ReadLineAsync() is { } line) lines.Add(line);

        var last = JsonDocument.Parse(lines[^1]).RootElement;
        var error = last.GetProperty("$error");
        Assert.Equal((503, "Export cut off"), (error.GetProperty("status").GetInt32(), error.GetProperty("title").GetString()));
        Assert.Contains("export time limit of 00:00:00.2000000", error.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Every line before it is a whole row (all 21 columns, distinct ids): the cut fell between rows, and before the end.
        var rows = lines[..^1].Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(rows, r => Assert.Equal(21, r.EnumerateObject().Count()));
        Assert.Equal(rows.Count, rows.Select(r => r.GetProperty("id").GetInt64()).Distinct().Count());
        Assert.InRange(rows.Count, 1, 150_006);
    }

    [Fact]
    public async Task A_stalled_csv_export_ends_without_its_terminating_chunk()
    {
        await SeedAsync();
        var (response, body, lines) = await OpenAndReadSlowlyAsync("/getdata?format=csv&limit=1000000&fields=id,carrier,origin,dest,name,tailnum,dep_delay,arr_delay,time_hour");
        using var _ = response;
        Assert.Equal("id,carrier,origin,dest,name,tailnum,dep_delay,arr_delay,time_hour", lines[0]);

        var rows = lines.Count - 1;
        // The body never ends cleanly: the client sees the connection end (reset or cut) before the terminating chunk.
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await body.ReadLineAsync() is not null) rows++;
        });
        Assert.InRange(rows, 0, 150_005);
        // The host is fine: the next request is answered.
        Assert.Equal(HttpStatusCode.OK, (await _socket.GetAsync("/getdata?limit=1")).StatusCode);
    }

    private sealed class Capture(ConcurrentQueue<string> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception));
        public void Dispose() { }
    }
}
