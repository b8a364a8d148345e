using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tarmac.Embedded;
using Tarmac.Local;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// A transient failure of one upload's own (a large file the buffer pool cannot hold while exports fill it) used to send
/// its whole batch back on the queue, where it gathered into a batch with the same uploads and failed with them again,
/// every 5 s for as long as the condition lasted: uploads that had nothing wrong stayed unloaded. At startup, the same
/// failure ended the pump, so nothing loaded until the next start, which failed the same way. The pump now loads a
/// failed batch's uploads one by one, and retries alone only the ones that still fail.
/// </summary>
public sealed class TransientIsolationTests
{
    private static string Body(int id) =>
        $"{SampleData.SeedCsv.Split('\n')[0]}\n{id},2013,1,1,517.0,515,2.0,830.0,819,11.0,UA,{id},N1,EWR,IAH,227.0,1400,5,15,2013-01-01 05:00:00,United\n";

    [Fact]
    public async Task An_upload_that_fails_transiently_does_not_hold_back_the_uploads_of_its_batch_and_loads_once_it_can()
    {
        const int innocent = 4;
        var poisoned = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var log = new LogLines();
        // One batch of exactly these uploads: the window is far longer than the posts take, the cap closes it.
        using var host = Host(null, log, name => poisoned.Keys.Any(id => name.Contains(id, StringComparison.Ordinal)),
            new() { ["TARMAC_BATCH_WINDOW_MS"] = "120000", ["TARMAC_BATCH_MAX_UPLOADS"] = $"{innocent + 1}" });
        // The poisoned upload is posted first, so it is in the batch before the batch can close.
        var poison = await IdOf(await host.PostCsvAsync("/upload", Body(900)));
        poisoned[poison] = true;
        var innocents = new List<string>();
        foreach (var i in Enumerable.Range(0, innocent)) innocents.Add(await IdOf(await host.PostCsvAsync("/upload", Body(901 + i))));

        foreach (var id in innocents)
            Assert.Equal("loaded", (await host.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
        Assert.Equal("stored", await StatusAsync(host, poison));
        Assert.Contains(log.Lines, l => l.Contains($"{poison}.csv on its own failed", StringComparison.Ordinal));

        // The condition passes: the upload loads at its next try, once.
        poisoned.TryRemove(poison, out _);
        await LoadsOnceAsync(host, poison, 5);
    }

    [Fact]
    public async Task An_upload_that_fails_transiently_at_startup_leaves_the_pump_running_and_loads_once_it_can()
    {
        var unreadable = true;
        var data = TempDirs.Create("tarmac-data");
        string stored;
        using (var first = Host(data, new LogLines(), _ => Volatile.Read(ref unreadable), []))
        {
            stored = await IdOf(await first.PostCsvAsync("/upload", Body(950)));
            Assert.Equal("stored", await StatusAsync(first, stored)); // it cannot load in this run
        }

        var log = new LogLines();
        using var restarted = Host(data, log, _ => Volatile.Read(ref unreadable), []);
        // The startup pass took it up, failed, and finished: the pump is running.
        await restarted.Services.GetServices<IHostedService>().OfType<LocalEventPump>().Single().Recovered.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(log.Lines, l => l.Contains("Processing a batch of 1 events failed", StringComparison.Ordinal) && l.Contains(stored, StringComparison.Ordinal));
        Assert.Equal("stored", await StatusAsync(restarted, stored));

        Volatile.Write(ref unreadable, false);
        var next = await IdOf(await restarted.PostCsvAsync("/upload", Body(951)));
        Assert.Equal("loaded", (await restarted.WaitForOutcomeAsync(next, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
        await LoadsOnceAsync(restarted, stored, 2);
    }

    /// <summary>A host whose bucket fails transiently to read the objects <paramref name="unreadable"/> names.</summary>
    private static TarmacHost Host(string? dataDir, LogLines log, Func<string, bool> unreadable, Dictionary<string, string?> settings) =>
        new(dataDir: dataDir, settings: settings, services: s =>
        {
            s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(log);
            TestStores.Wrap(s, inner => new BreakableStore(inner) { Unreadable = unreadable });
        });

    /// <summary>Waits for the upload to load, and checks it loaded one row and the table holds <paramref name="rows"/>, each once.</summary>
    private static async Task LoadsOnceAsync(TarmacHost host, string uploadId, long rows)
    {
        var loaded = await host.WaitForOutcomeAsync(uploadId, TimeSpan.FromSeconds(30));
        Assert.Equal("loaded", loaded.GetProperty("status").GetString());
        Assert.Equal(1, loaded.GetProperty("rows_loaded").GetInt64());
        using var c = host.Services.GetRequiredService<DuckDbDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT id) FROM flights";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal((rows, rows), (r.GetInt64(0), r.GetInt64(1)));
    }

    private static async Task<string?> StatusAsync(TarmacHost host, string uploadId) =>
        (await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{uploadId}")).GetProperty("status").GetString();

    private static async Task<string> IdOf(HttpResponseMessage posted)
    {
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        return (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;
    }
}
