using Tarmac.ServiceDefaults;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.BigQuery;
using Tarmac.GoogleCloud.State;
using Tarmac.Process;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>
/// The same flows against a real project. Runs when TARMAC_GCP_PROJECT, TARMAC_RAW_BUCKET, TARMAC_BQ_DATASET and
/// TARMAC_BQ_LOCATION are set and application-default credentials exist (gcloud auth application-default login, or
/// GOOGLE_APPLICATION_CREDENTIALS); skipped otherwise. Writes under raw/, claims/, loads/ and into the flights table.
/// </summary>
[Trait("Category", "Live")]
public sealed class LiveTests
{
    private static GoogleCloudOptions? Options()
    {
        var o = new GoogleCloudOptions
        {
            Project = Environment.GetEnvironmentVariable("TARMAC_GCP_PROJECT"),
            RawBucket = Environment.GetEnvironmentVariable("TARMAC_RAW_BUCKET"),
            Dataset = Environment.GetEnvironmentVariable("TARMAC_BQ_DATASET"),
            Location = Environment.GetEnvironmentVariable("TARMAC_BQ_LOCATION"),
        };
        if (o.MissingCommon().Any()) return null;
        try { Google.Apis.Auth.OAuth2.GoogleCredential.GetApplicationDefault(); }
        catch (InvalidOperationException) { return null; }
        return o;
    }

    private static (GcsObjectStore Bucket, GcsUploadLedger Ledger, UploadLoader Loader, BigQueryFlusher Flusher, BigQueryWarehouseReader Reader) Adapters(GoogleCloudOptions o)
    {
        var storage = GcsObjectStore.CreateClient(o);
        var bucket = new GcsObjectStore(storage, o.RawBucket!);
        var http = new HttpClient(new Auth.GoogleAccessTokenHandler("https://www.googleapis.com/auth/bigquery") { InnerHandler = new HttpClientHandler() }) { BaseAddress = o.BigQueryBaseUri };
        var client = new BigQueryClient(http, o, TimeSpan.FromMilliseconds(500));
        var state = new GcsStateObjects(storage, o.RawBucket!);
        var ledger = new GcsUploadLedger(state, bucket, new UploadAudit(client, NullLogger<UploadAudit>.Instance), TimeProvider.System);
        var pending = new PendingLoads(state);
        var loader = new BigQueryWarehouseLoader(ledger, state, bucket, pending, TimeProvider.System);
        var flusher = new BigQueryFlusher(client, ledger, state, pending, TimeProvider.System, NullLogger<BigQueryFlusher>.Instance);
        return (bucket, ledger, new UploadLoader(loader, new TarmacOptions(), TimeProvider.System), flusher, new BigQueryWarehouseReader(client));
    }

    [SkippableFact]
    public async Task Bucket_is_create_only_and_reads_back()
    {
        var o = Options();
        Skip.If(o is null, "No Google Cloud project or credentials configured.");
        var (bucket, _, _, _, _) = Adapters(o!);
        var name = $"raw/live-test/{UploadIds.New()}.csv";
        await bucket.CreateAsync(name, new MemoryStream("a\n1\n"u8.ToArray()), null, default);
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => bucket.CreateAsync(name, new MemoryStream("b"u8.ToArray()), null, default));
        await using var s = await bucket.OpenReadAsync(name, default);
        Assert.Equal("a\n1\n", await new StreamReader(s).ReadToEndAsync());
    }

    [SkippableFact]
    public async Task An_upload_registers_loads_once_and_reads_back()
    {
        var o = Options();
        Skip.If(o is null, "No Google Cloud project or credentials configured.");
        var (bucket, ledger, loader, flusher, warehouse) = Adapters(o!);
        var catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));
        catalog.TryGet("flights", out var flights);
        var csv = SampleData.SeedCsv.Replace("UA,1545", $"UA,{Random.Shared.Next(10_000, 99_999)}", StringComparison.Ordinal);
        var id = UploadIds.New();
        var name = UploadIds.ObjectName("flights", id, DateTimeOffset.UtcNow);
        var stored = await bucket.CreateAsync(name, new MemoryStream(Encoding.UTF8.GetBytes(csv)), null, default);
        var record = new UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = name, Bytes = stored.Size, Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(csv))),
        };
        Assert.Equal(RegisterOutcome.Created, (await ledger.RegisterAsync(record, default)).Outcome);
        var request = new LoadRequest(record, flights, ct => bucket.OpenReadAsync(name, ct));

        var staged = await loader.LoadAsync([request], default);
        var again = await loader.LoadAsync([request], default);
        var flushed = await flusher.FlushAsync(flights, force: true, default);

        Assert.Equal(UploadStatus.Stored, staged[0].Status);
        Assert.Equal(UploadStatus.Stored, again[0].Status);
        var loaded = Assert.Single(flushed.Settled, u => u.UploadId == id);
        Assert.Equal(UploadStatus.Loaded, loaded.Status);
        Assert.Equal(7, loaded.RowsLoaded);
        Assert.Equal(UploadStatus.Loaded, (await ledger.GetAsync(id, default))!.Status);
        var version = await warehouse.GetVersionAsync(flights, default);
        Assert.True(version.Version > 0);
        Assert.True(await warehouse.CountAsync(Tarmac.Core.Query.RowsQuery.All(flights, version.LastLoadedAt), default) >= 7);
    }
}
