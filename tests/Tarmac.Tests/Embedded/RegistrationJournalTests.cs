using System.Security.Cryptography;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// Issue 14: a registration is made durable in the ledger's journal, and the upload's ledger row is written by the load
/// that settles it. Until then the ledger answers from memory; a restart gives every registration still without a row its
/// row (status stored) before anything reads the ledger, and a crash that tore the journal's last group loses only what was
/// never answered.
/// </summary>
public class RegistrationJournalTests
{
    private const string Header = "id,year,month,day,carrier,flight,origin,dest\n";
    private readonly string _dataDir = TempDirs.Create("tarmac-data");
    private static readonly SchemaCatalog Catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));

    private DuckDbDatabase OpenDb() => new(Path.Combine(_dataDir, "warehouse.duckdb"), Catalog);

    private string JournalFolder => Path.Combine(_dataDir, ".registrations");

    private string[] JournalFiles() => Directory.Exists(JournalFolder) ? Directory.GetFiles(JournalFolder, "*.journal") : [];

    private static (UploadRecord Upload, byte[] Bytes) Takeoff(int flight)
    {
        var bytes = Encoding.UTF8.GetBytes(Header + $"{flight},2026,12,2,UA,{flight},SFO,JFK\n");
        var id = UploadIds.New();
        return (new UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = $"raw/flights/2026-12-02/{id}.csv", Bytes = bytes.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
            Client = "journal-test",
        }, bytes);
    }

    private static Task<IReadOnlyList<UploadRecord>> LoadAsync(DuckDbDatabase db, params (UploadRecord Upload, byte[] Bytes)[] uploads) =>
        DirectLoads.FlightsAsync(db, Catalog, uploads);

    private static async Task<Dictionary<string, (string Status, long RowsLoaded)>> TableRowsAsync(DuckDbDatabase db)
    {
        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT upload_id, status, rows_loaded FROM _tarmac_uploads";
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new Dictionary<string, (string, long)>(StringComparer.Ordinal);
        while (await r.ReadAsync()) rows[r.GetString(0)] = (r.GetString(1), r.GetInt64(2));
        return rows;
    }

    [Fact]
    public async Task A_registration_is_answered_from_memory_and_its_row_is_written_by_its_load()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        var takeoff = Takeoff(1);
        var registered = await ledger.RegisterAsync(takeoff.Upload, default);
        Assert.Equal(RegisterOutcome.Created, registered.Outcome);
        Assert.Single(JournalFiles());
        Assert.Empty(await TableRowsAsync(db));
        var open = await ledger.GetAsync(takeoff.Upload.UploadId, default);
        Assert.Equal((UploadStatus.Stored, "journal-test"), (open!.Status, open.Client));
        Assert.Equal([takeoff.Upload.UploadId], (await ledger.ListByStatusAsync(UploadStatus.Stored, 10, default)).Select(u => u.UploadId));

        var loaded = Assert.Single(await LoadAsync(db, (registered.Upload, takeoff.Bytes)));
        Assert.Equal((UploadStatus.Loaded, 1L), (loaded.Status, loaded.RowsLoaded));
        Assert.Equal(("loaded", 1L), (await TableRowsAsync(db))[takeoff.Upload.UploadId]);
        // The same record from memory (until the next group prunes it) and from the table, to the microsecond.
        Assert.Equal(Comparable(loaded), Comparable(await ledger.GetAsync(takeoff.Upload.UploadId, default)));
        Assert.Empty(await ledger.ListByStatusAsync(UploadStatus.Stored, 10, default));

        // A second delivery of the same upload is a no-op: its record says it is settled.
        var again = Assert.Single(await LoadAsync(db, (registered.Upload, takeoff.Bytes)));
        Assert.Equal(Comparable(loaded), Comparable(again));
        Assert.Equal(1L, await FlightRowsAsync(db));

        // The next group prunes it; it is then read from the table, unchanged, and its bytes are still a duplicate.
        await ledger.RegisterAsync(Takeoff(2).Upload, default);
        Assert.Equal(1, db.OpenUploads.Count);
        Assert.Equal(Comparable(loaded), Comparable(await ledger.GetAsync(takeoff.Upload.UploadId, default)));
        var duplicate = await ledger.RegisterAsync(Takeoff(1).Upload with { Sha256 = takeoff.Upload.Sha256 }, default);
        Assert.Equal((RegisterOutcome.Duplicate, takeoff.Upload.UploadId), (duplicate.Outcome, duplicate.Upload.UploadId));
    }

    /// <summary>A record that compares by value: its row errors (none in these tests) as one shared empty list.</summary>
    private static UploadRecord? Comparable(UploadRecord? u)
    {
        Assert.Empty(u?.Errors ?? []);
        return u is null ? null : u with { Errors = [] };
    }

    private static async Task<long> FlightRowsAsync(DuckDbDatabase db)
    {
        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM flights";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_restart_gives_every_registration_without_a_row_its_row_and_keeps_the_loaded_ones_as_they_are()
    {
        var loadedTakeoff = Takeoff(10);
        var openTakeoffs = Enumerable.Range(11, 3).Select(Takeoff).ToList();
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
        {
            await ledger.RegisterAsync(loadedTakeoff.Upload, default);
            await Task.WhenAll(openTakeoffs.Select(t => ledger.RegisterAsync(t.Upload, default)));
            await LoadAsync(db, loadedTakeoff);
            // Stopped (or killed) here: one upload has its row, three are only in the journal.
        }

        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
        {
            Assert.Equal(3, ledger.Replayed);
            Assert.Empty(ledger.JournalDamage);
            Assert.Empty(JournalFiles());
            var rows = await TableRowsAsync(db);
            Assert.Equal(("loaded", 1L), rows[loadedTakeoff.Upload.UploadId]);
            Assert.All(openTakeoffs, t => Assert.Equal(("stored", 0L), rows[t.Upload.UploadId]));
            Assert.Equal(4, rows.Count);
            // Where startup recovery looks, oldest first; and with every field the registration had.
            var stored = await ledger.ListByStatusAsync(UploadStatus.Stored, 10, default);
            Assert.Equal(openTakeoffs.Select(t => t.Upload.UploadId).Order(), stored.Select(u => u.UploadId).Order());
            Assert.All(stored, u => Assert.Equal(Comparable(UploadRows.AsStored(openTakeoffs.Single(t => t.Upload.UploadId == u.UploadId).Upload)), Comparable(u)));
        }

        // Nothing is replayed twice.
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
            Assert.Equal(0, ledger.Replayed);
    }

    [Fact]
    public async Task A_torn_last_group_is_not_replayed_and_what_was_flushed_before_it_is()
    {
        var kept = Takeoff(20);
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
            await ledger.RegisterAsync(kept.Upload, default);
        // A crash during the next group's write: a frame header that promises more than the file has.
        var file = Assert.Single(JournalFiles());
        var flushed = new FileInfo(file).Length;
        await File.AppendAllBytesAsync(file, [200, 0, 0, 0, 1, 2, 3, 4, (byte)'{', (byte)'"']);

        using var reopened = OpenDb();
        using var after = new DuckDbUploadLedger(reopened, TimeProvider.System);
        Assert.Equal(1, after.Replayed);
        Assert.Equal([new JournalDamage(file, flushed, 10, Torn: true)], after.JournalDamage);
        Assert.Equal(UploadStatus.Stored, (await after.GetAsync(kept.Upload.UploadId, default))?.Status);
        Assert.Empty(JournalFiles());
    }

    [Fact]
    public async Task Damage_between_whole_records_is_skipped_and_the_records_after_it_are_replayed()
    {
        var takeoffs = Enumerable.Range(50, 3).Select(Takeoff).ToList();
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
            foreach (var t in takeoffs) await ledger.RegisterAsync(t.Upload, default); // one group each, in order
        var file = Assert.Single(JournalFiles());
        var bytes = await File.ReadAllBytesAsync(file);
        var second = BitConverter.ToInt32(bytes, 0) + 8;
        bytes[second + 20] ^= 0x20; // a flipped bit inside the second record's payload
        await File.WriteAllBytesAsync(file, bytes);

        using var reopened = OpenDb();
        using var after = new DuckDbUploadLedger(reopened, TimeProvider.System);
        Assert.Equal(2, after.Replayed);
        var damage = Assert.Single(after.JournalDamage);
        Assert.Equal((second, BitConverter.ToInt32(bytes, second) + 8L, false), (damage.Offset, damage.Length, damage.Torn));
        Assert.NotNull(await after.GetAsync(takeoffs[0].Upload.UploadId, default));
        Assert.Null(await after.GetAsync(takeoffs[1].Upload.UploadId, default));
        Assert.NotNull(await after.GetAsync(takeoffs[2].Upload.UploadId, default));
    }

    [Fact]
    public async Task A_journal_file_is_deleted_once_every_upload_in_it_has_its_row()
    {
        using var db = OpenDb();
        // Every group rolls to a new file.
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System, null, journalRollBytes: 1);
        var first = Takeoff(30);
        var second = Takeoff(31);
        await ledger.RegisterAsync(first.Upload, default);
        await ledger.RegisterAsync(second.Upload, default);
        Assert.Equal(2, JournalFiles().Length);

        await LoadAsync(db, first);
        // The next group prunes the settled upload and releases its file; the file in use stays.
        await ledger.RegisterAsync(Takeoff(32).Upload, default);
        Assert.Equal(2, JournalFiles().Length);
        Assert.DoesNotContain(JournalFiles(), f => f.EndsWith("00000001.journal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_open_upload_marked_failed_gets_a_failed_row_and_its_bytes_can_be_retried()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        var takeoff = Takeoff(40);
        await ledger.RegisterAsync(takeoff.Upload, default);
        await ledger.MarkFailedAsync(takeoff.Upload.UploadId, "trace_id=0; the object vanished", default);
        Assert.Equal(("failed", 0L), (await TableRowsAsync(db))[takeoff.Upload.UploadId]);
        Assert.Equal((UploadStatus.Failed, 1), ((await ledger.GetAsync(takeoff.Upload.UploadId, default))!.Status, (await ledger.GetAsync(takeoff.Upload.UploadId, default))!.Attempts));

        // The same bytes again: the failed upload is reset to stored (a retry), and its load updates its row.
        var retry = await ledger.RegisterAsync(Takeoff(40).Upload with { Sha256 = takeoff.Upload.Sha256 }, default);
        Assert.Equal((RegisterOutcome.Retry, takeoff.Upload.UploadId), (retry.Outcome, retry.Upload.UploadId));
        var loaded = Assert.Single(await LoadAsync(db, (retry.Upload, takeoff.Bytes)));
        Assert.Equal(UploadStatus.Loaded, loaded.Status);
        Assert.Equal(("loaded", 1L), (await TableRowsAsync(db))[takeoff.Upload.UploadId]);
    }

    [Fact]
    public async Task While_a_failed_commit_waits_for_the_instance_to_be_replaced_a_retry_of_failed_bytes_is_refused_and_the_row_kept()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        var takeoff = Takeoff(41);
        await ledger.RegisterAsync(takeoff.Upload, default);
        await ledger.MarkFailedAsync(takeoff.Upload.UploadId, "trace_id=0; the object vanished", default);
        db.CommitReverted(new InvalidOperationException("a commit this test says DuckDB reverted"));

        // A retry writes the failed row back to stored, a write the suspect instance must not take; new bytes still register.
        await Assert.ThrowsAsync<WarehouseReplacingException>(() => ledger.RegisterAsync(Takeoff(41).Upload with { Sha256 = takeoff.Upload.Sha256 }, default));
        Assert.Equal(("failed", 0L), (await TableRowsAsync(db))[takeoff.Upload.UploadId]);
        var fresh = Takeoff(42);
        Assert.Equal(RegisterOutcome.Created, (await ledger.RegisterAsync(fresh.Upload, default)).Outcome);

        Assert.True(db.TryReset(TimeSpan.FromSeconds(5)));
        var retry = await ledger.RegisterAsync(Takeoff(41).Upload with { Sha256 = takeoff.Upload.Sha256 }, default);
        Assert.Equal((RegisterOutcome.Retry, takeoff.Upload.UploadId), (retry.Outcome, retry.Upload.UploadId));
        Assert.Equal(("stored", 0L), (await TableRowsAsync(db))[takeoff.Upload.UploadId]);
    }

    [Fact]
    public async Task A_failure_marked_while_the_upload_is_loading_waits_for_the_load_and_the_upload_keeps_one_row()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        using var warehouse = new DuckDbWarehouseLoader(db, TimeProvider.System);
        Catalog.TryGet("flights", out var flights);
        var takeoff = Takeoff(42);
        var registered = (await ledger.RegisterAsync(takeoff.Upload, default)).Upload;

        Task marking;
        await using (var session = await warehouse.BeginAsync([new LoadRequest(registered, flights!, _ => Task.FromResult<Stream>(new MemoryStream(takeoff.Bytes)))], default))
        {
            // The ledger has no primary key to refuse a second row: the failure path waits for the load to end instead.
            marking = ledger.MarkFailedAsync(registered.UploadId, "trace_id=0; the object vanished", default);
            Assert.False(marking.IsCompleted);
            await session.CommitAsync([registered with { Status = UploadStatus.Loaded, RowsLoaded = 0, Attempts = 1 }], default);
        }
        await marking;

        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), min(status) FROM _tarmac_uploads WHERE upload_id = $id";
        cmd.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("id", registered.UploadId));
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        // Loaded, once: the failure found the upload settled, and a loaded upload is not failed afterwards.
        Assert.Equal((1L, "loaded"), (r.GetInt64(0), r.GetString(1)));
        Assert.Equal(UploadStatus.Loaded, (await ledger.GetAsync(registered.UploadId, default))!.Status);
    }
}
