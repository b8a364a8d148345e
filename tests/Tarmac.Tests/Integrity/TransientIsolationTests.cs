using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// A transient failure of one upload's own (a large file the buffer pool cannot hold while exports fill it) used to send
/// its whole batch back on the queue, where it gathered into a batch with the same uploads and failed with them again,
/// every 5 s for as long as the condition lasted: uploads that had nothing wrong stayed unloaded. The pump now loads the
/// batch's uploads one by one once the batch fails, and retries alone only the ones that still fail.
/// </summary>
public sealed class TransientIsolationTests : IDisposable
{
    private const int Innocent = 4;
    private readonly LogLines _log = new();
    private readonly ConcurrentDictionary<string, bool> _poisoned = new(StringComparer.Ordinal);
    private readonly TarmacHost _host;

    public TransientIsolationTests() =>
        _host = new TarmacHost(
            // One batch of exactly these uploads: the window is far longer than the posts take, the cap closes it.
            settings: new Dictionary<string, string?> { ["TARMAC_BATCH_WINDOW_MS"] = "120000", ["TARMAC_BATCH_MAX_UPLOADS"] = $"{Innocent + 1}" },
            services: s =>
            {
                s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_log);
                TestStores.Wrap(s, inner => new PoisonStore(inner, _poisoned));
            });

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task An_upload_that_fails_transiently_does_not_hold_back_the_uploads_of_its_batch_and_loads_once_it_can()
    {
        var header = SampleData.SeedCsv.Split('\n')[0];
        string Body(int id) => $"{header}\n{id},2013,1,1,517.0,515,2.0,830.0,819,11.0,UA,{id},N1,EWR,IAH,227.0,1400,5,15,2013-01-01 05:00:00,United\n";
        // The poisoned upload is posted first, so it is in the batch before the batch can close.
        var poison = await IdOf(await _host.PostCsvAsync("/upload", Body(900)));
        _poisoned[poison] = true;
        var innocents = new List<string>();
        foreach (var i in Enumerable.Range(0, Innocent)) innocents.Add(await IdOf(await _host.PostCsvAsync("/upload", Body(901 + i))));

        foreach (var id in innocents)
            Assert.Equal("loaded", (await _host.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
        Assert.Equal("stored", (await _host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{poison}")).GetProperty("status").GetString());
        Assert.Contains(_log.Lines, l => l.Contains($"{poison}.csv on its own failed", StringComparison.Ordinal));

        // The condition passes: the upload loads at its next try, once.
        _poisoned.TryRemove(poison, out _);
        var healed = await _host.WaitForOutcomeAsync(poison, TimeSpan.FromSeconds(30));
        Assert.Equal("loaded", healed.GetProperty("status").GetString());
        Assert.Equal(1, healed.GetProperty("rows_loaded").GetInt64());
        using var c = _host.Services.GetRequiredService<DuckDbDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT id) FROM flights";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal((5L, 5L), (r.GetInt64(0), r.GetInt64(1)));
    }

    private static async Task<string> IdOf(HttpResponseMessage posted)
    {
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        return (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;
    }

    /// <summary>The bucket, failing transiently to read the objects of the uploads in <paramref name="poisoned"/>.</summary>
    private sealed class PoisonStore(IObjectStore inner, ConcurrentDictionary<string, bool> poisoned) : IObjectStore
    {
        public string Bucket => inner.Bucket;

        public Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
            inner.CreateAsync(name, content, metadata, ct);

        public Task<Stream> OpenReadAsync(string name, CancellationToken ct) =>
            poisoned.Keys.Any(id => name.Contains(id, StringComparison.Ordinal))
                ? throw new TransientFailureException($"{name} cannot be read for now (this test)")
                : inner.OpenReadAsync(name, ct);

        public Task<StoredObject?> GetAsync(string name, CancellationToken ct) => inner.GetAsync(name, ct);

        public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);

        public Task<bool> DeleteAsync(string name, long generation, CancellationToken ct) => inner.DeleteAsync(name, generation, ct);
    }
}
