using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// Issue 13, defect 5: the startup scan's work is bounded by what is unfinished. A bucket of finished uploads is not read
/// again at startup, nor are folders older than the scan's two days listed; only an object the ledger never heard of is.
/// </summary>
public class StartupScanTests
{
    /// <summary>The bucket, recording every read of an object's bytes or description and every object listed.</summary>
    private sealed class CountingStore(IObjectStore inner) : IObjectStore
    {
        public readonly ConcurrentQueue<string> Reads = new();
        public readonly ConcurrentQueue<string> Described = new();
        public readonly ConcurrentQueue<string> Listed = new();
        public string Bucket => inner.Bucket;
        public Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) => inner.CreateAsync(name, content, metadata, ct);
        public Task<Stream> OpenReadAsync(string name, CancellationToken ct) { Reads.Enqueue(name); return inner.OpenReadAsync(name, ct); }
        public Task<StoredObject?> GetAsync(string name, CancellationToken ct) { Described.Enqueue(name); return inner.GetAsync(name, ct); }
        public Task<bool> DeleteAsync(string name, long generation, CancellationToken ct) => inner.DeleteAsync(name, generation, ct);
        public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var o in inner.ListAsync(prefix, ct)) { Listed.Enqueue(o.Name); yield return o; }
        }
    }

    private static string Flight(int id) =>
        $"{SampleData.SeedCsv.Split('\n')[0]}\n{id},2013,1,1,517.0,515,2.0,830.0,819,11.0,UA,{id},N1,EWR,IAH,227.0,1400,5,15,2013-01-01 05:00:00,United\n";

    [Fact]
    public async Task A_restart_reads_only_the_object_the_ledger_never_heard_of()
    {
        const int finished = 80;
        var dataDir = TempDirs.Create("tarmac-data");
        using (var first = new TarmacHost(dataDir))
        {
            // In two waves, under the upload ceiling (64 at once): group-committed stores keep a burst in flight together.
            var posts = new List<HttpResponseMessage>();
            foreach (var wave in Enumerable.Range(0, finished).Chunk(finished / 2))
                posts.AddRange(await Task.WhenAll(wave.Select(i => first.PostCsvAsync("/upload?wait=true", Flight(1000 + i)))));
            Assert.All(posts, p => Assert.Equal(HttpStatusCode.OK, p.StatusCode));
            foreach (var p in posts)
                await first.WaitForOutcomeAsync((await p.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!);
        }
        using var bucket = new FileSystemObjectStore(Path.Combine(dataDir, "bucket"));
        // Unregistered objects older than the scan window (what that window deliberately leaves alone), and one fresh orphan.
        for (var i = 0; i < 20; i++)
            await bucket.CreateAsync(UploadIds.ObjectName("flights", UploadIds.New(), DateTimeOffset.UtcNow.AddDays(-5)), new MemoryStream(Encoding.UTF8.GetBytes(Flight(5000 + i))), null, default);
        var orphanId = UploadIds.New();
        var orphan = UploadIds.ObjectName("flights", orphanId, DateTimeOffset.UtcNow);
        await bucket.CreateAsync(orphan, new MemoryStream(Encoding.UTF8.GetBytes(Flight(9000))), null, default);

        using var after = new TarmacHost(dataDir, services: s => TestStores.Wrap(s, inner => new CountingStore(inner)));
        var store = (CountingStore)after.Services.GetRequiredService<IObjectStore>();
        // Recovery registers and loads the orphan last: once it is loaded, the scan is done.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? status;
        do
        {
            using var r = await after.Http.GetAsync($"/uploads/{orphanId}", timeout.Token);
            status = r.StatusCode == HttpStatusCode.NotFound ? null : (await r.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("status").GetString();
            if (status is null or "stored") await Task.Delay(20, timeout.Token); // polling a status (404 until the scan registers it)
        }
        while (status is null or "stored");
        Assert.Equal("loaded", status);

        // The orphan is described and hashed once, then read once more by its load; no finished upload is touched.
        Assert.Equal([orphan], store.Described.Distinct());
        Assert.Equal([orphan, orphan], store.Reads);
        Assert.Equal(finished + 1, store.Listed.Count);
        Assert.DoesNotContain(store.Listed, n => n.Contains(DateTimeOffset.UtcNow.AddDays(-5).ToString("yyyy-MM-dd"), StringComparison.Ordinal));
    }
}
