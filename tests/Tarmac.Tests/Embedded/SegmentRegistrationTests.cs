using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// Issue 14, item 1: the registration rides the segment's group commit. A small upload's segment record is its
/// registration, so registering it writes nothing to disk; after a crash every acknowledged upload whose row was not
/// written gets it again from its record, with every field ingest gave it, and identical bytes still load once.
/// </summary>
public class SegmentRegistrationTests
{
    private const string Header = "id,year,month,day,carrier,flight,origin,dest\n";
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private readonly string _dataDir = TempDirs.Create("tarmac-data");
    private static readonly SchemaCatalog Catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));

    private DuckDbDatabase OpenDb() => new(Path.Combine(_dataDir, "warehouse.duckdb"), Catalog);

    private FileSystemObjectStore OpenBucket() => new(Path.Combine(_dataDir, "bucket"));

    private string[] JournalFiles() =>
        Directory.Exists(Path.Combine(_dataDir, ".registrations")) ? Directory.GetFiles(Path.Combine(_dataDir, ".registrations"), "*.journal") : [];

    private static byte[] Csv(int flight) => Encoding.UTF8.GetBytes(Header + $"{flight},2026,12,3,UA,{flight},SFO,JFK\n");

    /// <summary>Stores a takeoff as ingest does (id minted from the millisecond it was received, metadata) and returns its candidate.</summary>
    private static async Task<(UploadRecord Upload, byte[] Bytes)> StoreAsync(FileSystemObjectStore bucket, byte[] bytes, DateTimeOffset? receivedAt = null)
    {
        var now = DateTimeOffset.UtcNow;
        var at = receivedAt ?? now.AddTicks(-(now.UtcTicks % TimeSpan.TicksPerMillisecond));
        var id = UploadIds.New(at);
        var name = UploadIds.ObjectName("flights", id, at);
        await bucket.CreateAsync(name, new MemoryStream(bytes), new Dictionary<string, string>
        {
            [RawObjectMetadata.UploadId] = id, [RawObjectMetadata.Dataset] = "flights", [RawObjectMetadata.FileName] = "takeoff.csv",
            [RawObjectMetadata.Client] = "segment-test/1.0", [RawObjectMetadata.ContentType] = "text/csv", [RawObjectMetadata.TraceParent] = TraceParent,
        }, default);
        return (new UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = name, Bytes = bytes.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            Status = UploadStatus.Stored, FileName = "takeoff.csv", ContentType = "text/csv", Client = "segment-test/1.0", ReceivedAt = at,
            TraceParent = TraceParent,
        }, bytes);
    }

    private static Task<IReadOnlyList<UploadRecord>> LoadAsync(DuckDbDatabase db, params (UploadRecord Upload, byte[] Bytes)[] uploads) =>
        DirectLoads.FlightsAsync(db, Catalog, uploads);

    private static async Task<Dictionary<string, UploadRecord>> TableAsync(DuckDbDatabase db)
    {
        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {UploadRows.Columns} FROM _tarmac_uploads";
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
        while (await r.ReadAsync()) rows[r.GetString(0)] = UploadRows.Read(r) with { Errors = [] };
        return rows;
    }

    [Fact]
    public async Task A_small_upload_is_registered_without_a_write_and_a_restart_gives_it_its_row_with_every_field()
    {
        using var bucket = OpenBucket();
        (UploadRecord Upload, byte[] Bytes) loaded;
        (UploadRecord Upload, byte[] Bytes)[] open;
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            // Stored while the ledger runs, as ingest stores an upload before it registers it.
            loaded = await StoreAsync(bucket, Csv(1));
            open = [await StoreAsync(bucket, Csv(2)), await StoreAsync(bucket, Csv(3))];
            var flushes = bucket.Segments.Flushes;
            foreach (var t in open.Prepend(loaded))
                Assert.Equal(RegisterOutcome.Created, (await ledger.RegisterAsync(t.Upload, default)).Outcome);
            Assert.Equal(flushes, bucket.Segments.Flushes);
            Assert.Empty(JournalFiles());
            await LoadAsync(db, loaded);
            // Stopped (or killed) here: one upload has its row, two are only in their segment records.
        }

        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            Assert.Equal((0, 2), (ledger.Replayed, ledger.SegmentReplayed));
            var rows = await TableAsync(db);
            Assert.Equal(3, rows.Count);
            Assert.Equal((UploadStatus.Loaded, 1L), (rows[loaded.Upload.UploadId].Status, rows[loaded.Upload.UploadId].RowsLoaded));
            // Exactly the record the registrar answered with: the hash from the bytes, the time from the id, the rest from the metadata.
            Assert.All(open, t => Assert.Equal(UploadRows.AsStored(t.Upload) with { Errors = [] }, rows[t.Upload.UploadId]));
        }

        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            // Nothing is written twice, and the checkpoint moved past what has its row.
            Assert.Equal(0, ledger.SegmentReplayed);
            Assert.Equal(3, (await TableAsync(db)).Count);
            Assert.Equal(bucket.Segments.LastGeneration, ledger.SegmentCheckpoint!.SettledThrough);
        }
    }

    [Fact]
    public async Task Identical_bytes_flushed_before_the_registered_upload_send_its_registration_to_the_journal()
    {
        // The same bytes twice, and the later of them registered first: a replay that keeps the first flushed would pick the
        // other one. So the registered upload goes to the journal, whose replay comes first, and the bytes load once, as it.
        using var bucket = OpenBucket();
        (UploadRecord Upload, byte[] Bytes) second;
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            var first = await StoreAsync(bucket, Csv(10));
            second = await StoreAsync(bucket, Csv(10));
            Assert.Equal(RegisterOutcome.Created, (await ledger.RegisterAsync(second.Upload, default)).Outcome);
            Assert.Single(JournalFiles());
            // The copy flushed first is found a duplicate of it, as its request would be told.
            var duplicate = await ledger.RegisterAsync(first.Upload, default);
            Assert.Equal((RegisterOutcome.Duplicate, second.Upload.UploadId), (duplicate.Outcome, duplicate.Upload.UploadId));
        }

        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            Assert.Equal((1, 0), (ledger.Replayed, ledger.SegmentReplayed));
            var row = Assert.Single(await TableAsync(db));
            Assert.Equal((second.Upload.UploadId, UploadStatus.Stored), (row.Key, row.Value.Status));
        }
    }

    [Fact]
    public async Task Of_identical_bytes_never_registered_the_first_flushed_gets_the_row_after_a_crash()
    {
        // Both stored, neither answered (a crash before either registered): one upload comes of them, not two.
        using var bucket = OpenBucket();
        var first = await StoreAsync(bucket, Csv(20));
        await StoreAsync(bucket, Csv(20));
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket);
        Assert.Equal(1, ledger.SegmentReplayed);
        Assert.Equal([first.Upload.UploadId], (await TableAsync(db)).Keys);
    }

    [Fact]
    public async Task A_registration_behind_the_checkpoint_or_with_another_time_goes_to_the_journal()
    {
        using var bucket = OpenBucket();
        (UploadRecord Upload, byte[] Bytes) late;
        // Stored while a ledger runs, then a clean stop, which moves the checkpoint past every record: the upload is then
        // behind it, as a registration that stalled longer than the checkpoint's ten seconds would be.
        using (var db = OpenDb())
        using (new DuckDbUploadLedger(db, TimeProvider.System, bucket))
            late = await StoreAsync(bucket, Csv(30));
        var unregistered = await StoreAsync(bucket, Csv(31));
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            // Only the record stored while no ledger ran is after the checkpoint: it had no row, and gets one now.
            Assert.Equal(1, ledger.SegmentReplayed);
            Assert.Equal([unregistered.Upload.UploadId], (await TableAsync(db)).Keys);
            Assert.Equal(RegisterOutcome.Created, (await ledger.RegisterAsync(late.Upload, default)).Outcome);
            Assert.Single(JournalFiles());
            // Registered by process (an orphan, a signed URL's upload) with the time it was found, not its id's.
            var found = await StoreAsync(bucket, Csv(32));
            Assert.Equal(RegisterOutcome.Created, (await ledger.RegisterAsync(found.Upload with { ReceivedAt = found.Upload.ReceivedAt.AddSeconds(1) }, default)).Outcome);
        }
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            Assert.Equal((2, 0), (ledger.Replayed, ledger.SegmentReplayed));
            Assert.Equal(3, (await TableAsync(db)).Count);
        }
    }

    [Fact]
    public async Task A_damaged_checkpoint_counts_as_none_and_every_record_is_checked_again()
    {
        using var bucket = OpenBucket();
        var takeoffs = new[] { await StoreAsync(bucket, Csv(40)), await StoreAsync(bucket, Csv(41)) };
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            foreach (var t in takeoffs) await ledger.RegisterAsync(t.Upload, default);
            await LoadAsync(db, takeoffs);
        }
        var checkpoint = Path.Combine(_dataDir, ".registrations", "segments.settled");
        var bytes = await File.ReadAllBytesAsync(checkpoint);
        bytes[3] ^= 0x10;
        await File.WriteAllBytesAsync(checkpoint, bytes);

        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System, bucket))
        {
            Assert.Equal(0, ledger.SegmentReplayed);
            Assert.All((await TableAsync(db)).Values, u => Assert.Equal((UploadStatus.Loaded, 1L), (u.Status, u.RowsLoaded)));
            Assert.Equal(2, (await TableAsync(db)).Count);
        }
    }

    [Fact]
    public async Task Over_http_a_takeoff_is_registered_by_its_segment_record_which_holds_what_the_ledger_answered()
    {
        using var host = new TarmacHost(_dataDir);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload?wait=true")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(SampleData.SeedCsv)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/csv; charset=utf-8");
        request.Headers.UserAgent.ParseAdd("airport-feed/2.1");
        var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;
        Assert.Empty(JournalFiles());

        var ledger = host.Services.GetRequiredService<DuckDbUploadLedger>();
        var bucket = (FileSystemObjectStore)host.Services.GetRequiredService<IObjectStore>();
        var answered = (await ledger.GetAsync(id, default))!;
        Assert.Equal(("airport-feed/2.1", "text/csv; charset=utf-8"), (answered.Client, answered.ContentType));
        Assert.True(bucket.Segments.TryGet(answered.Object, out var entry));
        var rebuilt = ledger.SegmentCheckpoint!.Registration(answered.Object, entry)!;
        Assert.Equal(
            (answered.UploadId, answered.Dataset, answered.Object, answered.Bytes, answered.Sha256, answered.FileName, answered.ContentType, answered.Client, answered.ReceivedAt, answered.TraceParent),
            (rebuilt.UploadId, rebuilt.Dataset, rebuilt.Object, rebuilt.Bytes, rebuilt.Sha256, rebuilt.FileName, rebuilt.ContentType, rebuilt.Client, rebuilt.ReceivedAt, rebuilt.TraceParent));
        Assert.NotNull(answered.TraceParent);
    }
}
