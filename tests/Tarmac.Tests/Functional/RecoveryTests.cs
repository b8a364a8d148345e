using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Process;
using Tarmac.Testing;

namespace Tarmac.Tests.Functional;

/// <summary>Nothing accepted is lost across a restart, and a failed upload is retried when re-posted.</summary>
public class RecoveryTests
{
    /// <summary>The ids of every row the two recovered uploads load, sorted.</summary>
    private static readonly int[] ExpectedIds = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 900];

    private static UploadRecord Candidate(string id, string dataset, string objectName, byte[] bytes) => new()
    {
        UploadId = id, Dataset = dataset, Object = objectName, Bytes = bytes.Length,
        Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
        Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Uploads_stored_before_a_restart_are_loaded_after_it()
    {
        var bytes = Encoding.UTF8.GetBytes(SampleData.SeedCsv);
        var orphanBytes = Encoding.UTF8.GetBytes(SampleData.SeedCsv.Replace("\n0,2013", "\n900,2013"));
        string registered, orphan;
        // The state a crash leaves, written while no host runs: a running host's startup recovery could otherwise load
        // it before the "crash" (the host's data folder holds the bucket under bucket/ and the warehouse file).
        var dataDir = TempDirs.Create("tarmac-data");
        var catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));
        using (var db = new DuckDbDatabase(Path.Combine(dataDir, "warehouse.duckdb"), catalog))
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
        {
            using var store = new FileSystemObjectStore(Path.Combine(dataDir, "bucket"));
            // Crash after register, before the event was consumed:
            registered = UploadIds.New();
            var name = UploadIds.ObjectName("flights", registered, DateTimeOffset.UtcNow);
            await store.CreateAsync(name, new MemoryStream(bytes), null, default);
            await ledger.RegisterAsync(Candidate(registered, "flights", name, bytes), default);
            // Crash after the object was stored, before it was registered:
            orphan = UploadIds.New();
            await store.CreateAsync(UploadIds.ObjectName("flights", orphan, DateTimeOffset.UtcNow), new MemoryStream(orphanBytes), null, default);
            Assert.Equal("stored", (await ledger.GetAsync(registered, default))!.Status.ToWire());
        }

        using var after = new TarmacHost(dataDir);
        var first = await after.WaitForOutcomeAsync(registered);
        var second = await after.WaitForOutcomeAsync(orphan);
        Assert.Equal(("loaded", 7L), (first.GetProperty("status").GetString(), first.GetProperty("rows_loaded").GetInt64()));
        Assert.Equal(("loaded", 7L), (second.GetProperty("status").GetString(), second.GetProperty("rows_loaded").GetInt64()));
        var rows = await after.Http.GetFromJsonAsync<JsonElement>("/getdata?limit=100&sort=id");
        Assert.Equal(ExpectedIds, rows.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task A_failed_upload_is_processed_again_when_the_same_bytes_are_posted()
    {
        using var host = new TarmacHost();
        var bytes = Encoding.UTF8.GetBytes(SampleData.SeedCsv);
        var store = host.Services.GetRequiredService<IObjectStore>();
        var ledger = host.Services.GetRequiredService<IUploadLedger>();
        var id = UploadIds.New();
        var name = UploadIds.ObjectName("flights", id, DateTimeOffset.UtcNow);
        var created = await store.CreateAsync(name, new MemoryStream(bytes), null, default);
        await ledger.RegisterAsync(Candidate(id, "flights", name, bytes), default);
        Assert.True(await store.DeleteAsync(name, created.Generation, default)); // the object becomes unreadable: an internal failure
        await host.Services.GetRequiredService<UploadProcessor>().ProcessAsync([new ObjectFinalized(store.Bucket, name, 1)], default);
        var failed = await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{id}");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        // The stored reason (the object vanished) is logged, not shown: the client gets the stable text (issue 13, defect 4).
        Assert.StartsWith("The upload could not be processed because of an internal error", failed.GetProperty("error").GetString());

        var retried = await (await host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, retried.GetProperty("upload_id").GetString());
        Assert.Equal("loaded", retried.GetProperty("status").GetString());
        Assert.Equal(7, retried.GetProperty("rows_loaded").GetInt64());
    }
}
