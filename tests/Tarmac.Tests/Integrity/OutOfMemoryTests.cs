using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// DuckDB's buffer pool full (the long soak's finding: two large exports exhaust the 256 MB cap) is a condition that
/// passes: a request gets 503 with Retry-After, not 500, and a load keeps its upload stored and tries again, rather than
/// spending its attempts and ending failed. The pool is squeezed with DuckDB's own global <c>memory_limit</c> setting.
/// </summary>
public sealed class OutOfMemoryTests : IDisposable
{
    private readonly LogLines _log = new();
    private readonly TarmacHost _host;

    public OutOfMemoryTests() =>
        _host = new TarmacHost(
            settings: new Dictionary<string, string?>
            {
                ["TARMAC_BULK_THRESHOLD_BYTES"] = "0", // every file by DuckDB's read_csv
                // The pump gathers for 5 s after an upload's event: the pool is squeezed well before its load starts.
                ["TARMAC_BATCH_WINDOW_MS"] = "5000",
            },
            services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_log));

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_query_that_runs_out_of_memory_gets_503_with_retry_after_and_succeeds_once_memory_is_back()
    {
        Assert.Equal(HttpStatusCode.OK, (await _host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).StatusCode);
        var db = _host.Services.GetRequiredService<DuckDbDatabase>();
        Fill(db, 300_000);

        SetMemoryLimit(db, "4MB");
        var squeezed = await _host.Http.GetAsync("/stats?group_by=id,tailnum&metrics=count&limit=10");
        SetMemoryLimit(db, "256MB");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, squeezed.StatusCode);
        Assert.Equal("application/problem+json", squeezed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), squeezed.Headers.RetryAfter?.Delta);
        var problem = await squeezed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Warehouse busy", problem.GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/stats?group_by=id,tailnum&metrics=count&limit=10")).StatusCode);
    }

    [Fact]
    public async Task A_load_that_runs_out_of_memory_keeps_its_upload_stored_and_loads_it_once_memory_is_back()
    {
        var db = _host.Services.GetRequiredService<DuckDbDatabase>();
        Fill(db, 300_000);
        var posted = await _host.PostCsvAsync("/upload", SampleData.SeedCsv);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var id = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;
        SetMemoryLimit(db, "4MB");

        // The pump reports the failed batch and puts it back; polled on the host's log, not waited for by the clock.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (!_log.Lines.Any(l => l.Contains(nameof(Tarmac.Core.Ports.TransientFailureException), StringComparison.Ordinal) && l.Contains("Out of Memory", StringComparison.Ordinal)))
                await Task.Delay(20, timeout.Token);
        // Read while the pool is still squeezed, so the upload cannot have loaded meanwhile, whatever the clock. The status
        // read may itself be refused with 503 while the failed load lets go of its memory (as a query is, above): polled.
        HttpResponseMessage status;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while ((status = await _host.Http.GetAsync($"/uploads/{id}", timeout.Token)).StatusCode == HttpStatusCode.ServiceUnavailable)
                await Task.Delay(20, timeout.Token);
        var waiting = await status.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("stored", waiting.GetProperty("status").GetString());

        SetMemoryLimit(db, "256MB");
        var final = await _host.WaitForOutcomeAsync(id);
        Assert.Equal("loaded", final.GetProperty("status").GetString());
        Assert.Equal(7, final.GetProperty("rows_loaded").GetInt64());
    }

    private static void Fill(DuckDbDatabase db, int rows)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            INSERT INTO flights SELECT i, 2013, 1 + i % 12, 1 + i % 28, i % 2400, i % 2400, 1.0, i % 2400, i % 2400, 2.0,
              'C' || (i % 17), CAST(i % 5000 AS VARCHAR), 'N' || i, 'EWR', 'LAX', 100.0, 1000.0, 5, 0, TIMESTAMP '2013-01-01', 'Bulk',
              '00000000000000000000000000000000', i, TIMESTAMP '2000-01-01'
            FROM range({rows}) t(i)
            """;
        cmd.ExecuteNonQuery();
        cmd.CommandText = "CHECKPOINT"; // written out, so the pool can shrink under the squeezed limit
        cmd.ExecuteNonQuery();
    }

    /// <summary>Sets DuckDB's global memory limit, for every connection of <paramref name="db"/>.</summary>
    internal static void SetMemoryLimit(DuckDbDatabase db, string limit)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SET memory_limit = '{limit}'"; // a test constant, not input
        cmd.ExecuteNonQuery();
    }
}
