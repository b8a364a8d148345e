using System.Security.Cryptography;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// Issue 14: a registration batch of bytes never seen skips the ledger lookup (the in-memory set of known contents says
/// so), and the ledger's answers stay the same: duplicates found, idempotent on the upload id, across a reopen. Reads are
/// bounded by when the ids say they were minted (a batch reads the last row groups, not the whole ledger), and give the
/// same answer when an id's time says nothing about when its upload was received.
/// </summary>
public class LedgerRegistrationTests
{
    private readonly string _dataDir = TempDirs.Create("tarmac-data");
    private static readonly SchemaCatalog Catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));

    private static UploadRecord Candidate(string content, string? id = null, DateTimeOffset? receivedAt = null)
    {
        id ??= UploadIds.New();
        return new UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = $"raw/flights/2026-12-01/{id}.csv", Bytes = content.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), Status = UploadStatus.Stored,
            ReceivedAt = receivedAt ?? DateTimeOffset.UtcNow,
        };
    }

    private DuckDbDatabase OpenDb() => new(Path.Combine(_dataDir, "warehouse.duckdb"), Catalog);

    [Fact]
    public async Task New_bytes_skip_the_lookup_and_known_bytes_are_still_duplicates()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        await ledger.KnownLoaded;
        var created = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => ledger.RegisterAsync(Candidate($"file {i}"), default)));
        Assert.All(created, r => Assert.Equal(RegisterOutcome.Created, r.Outcome));
        Assert.Equal(0, ledger.Lookups);

        var again = await ledger.RegisterAsync(Candidate("file 7"), default);
        Assert.Equal((RegisterOutcome.Duplicate, created[7].Upload.UploadId), (again.Outcome, again.Upload.UploadId));
        // The filter learnt "file 7" when it was registered: the duplicate was looked up.
        Assert.Equal(1L, ledger.Lookups);
    }

    [Fact]
    public async Task Identical_bytes_in_one_group_are_registered_once()
    {
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
        {
            await ledger.KnownLoaded;
            // Twenty POSTs of the same bytes at once (a client retrying in a hurry): one group or several, one upload comes of it.
            var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ledger.RegisterAsync(Candidate("the same takeoff"), default)));
            var created = Assert.Single(results, r => r.Outcome == RegisterOutcome.Created);
            Assert.All(results.Where(r => r != created), r => Assert.Equal((RegisterOutcome.Duplicate, created.Upload.UploadId), (r.Outcome, r.Upload.UploadId)));
        }
        Assert.Equal((1L, 1L, 1L), await LedgerCountsAfterReopenAsync());
    }

    [Fact]
    public async Task An_upload_id_registered_before_is_answered_as_it_is()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        await ledger.KnownLoaded;
        var first = await ledger.RegisterAsync(Candidate("original"), default);
        // The same id with bytes the ledger never saw: the filter knows the id, so the group looks up, and finds it.
        var same = await ledger.RegisterAsync(Candidate("other bytes", first.Upload.UploadId), default);
        Assert.Equal((RegisterOutcome.Created, first.Upload.Sha256), (same.Outcome, same.Upload.Sha256));
        Assert.Equal(1L, ledger.Lookups);
    }

    [Fact]
    public async Task A_group_with_one_reused_id_registers_every_upload_of_it_once()
    {
        string firstSha;
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
        {
            await ledger.KnownLoaded;
            var first = await ledger.RegisterAsync(Candidate("original"), default);
            firstSha = first.Upload.Sha256;
            // Sent at once, so they mostly reach the registrar as one group: ten new uploads and one reusing the first's id.
            var group = Enumerable.Range(0, 10).Select(i => Candidate($"new {i}")).Append(Candidate("other bytes", first.Upload.UploadId)).ToList();
            var results = await Task.WhenAll(group.Select(c => ledger.RegisterAsync(c, default)));
            Assert.All(results, r => Assert.Equal(RegisterOutcome.Created, r.Outcome));
            Assert.Equal(firstSha, results[^1].Upload.Sha256);
        }
        Assert.Equal((11L, 11L, 11L), await LedgerCountsAfterReopenAsync());
    }

    /// <summary>
    /// Rows of the ledger table, distinct upload ids and distinct contents, after a reopen: registrations whose uploads were
    /// not loaded are in the journal until then, and the reopen gives each its row.
    /// </summary>
    private async Task<(long Rows, long Ids, long Contents)> LedgerCountsAfterReopenAsync()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT upload_id), count(DISTINCT sha256) FROM _tarmac_uploads";
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    [Fact]
    public async Task After_a_reopen_the_known_contents_come_from_the_ledger()
    {
        string original;
        using (var db = OpenDb())
        using (var ledger = new DuckDbUploadLedger(db, TimeProvider.System))
            original = (await ledger.RegisterAsync(Candidate("kept across restarts"), default)).Upload.UploadId;

        using var reopened = OpenDb();
        using var after = new DuckDbUploadLedger(reopened, TimeProvider.System);
        await after.KnownLoaded;
        var again = await after.RegisterAsync(Candidate("kept across restarts"), default);
        Assert.Equal((RegisterOutcome.Duplicate, original), (again.Outcome, again.Upload.UploadId));
        Assert.Equal(1, after.Lookups);
        Assert.Equal(RegisterOutcome.Created, (await after.RegisterAsync(Candidate("new after restart"), default)).Outcome);
        Assert.Equal(1, after.Lookups);
    }

    [Fact]
    public void A_version_7_id_says_when_it_was_minted_to_the_millisecond()
    {
        var at = new DateTimeOffset(2026, 12, 1, 21, 30, 5, 123, TimeSpan.Zero).AddTicks(4567);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 21, 30, 5, 123, TimeSpan.Zero), UploadIds.MintedAt(Guid.CreateVersion7(at).ToString("N")));
        Assert.Null(UploadIds.MintedAt(Guid.NewGuid().ToString("N"))); // version 4: no time in it
        Assert.Null(UploadIds.MintedAt("not-an-id"));
    }

    [Fact]
    public async Task Uploads_received_long_before_or_after_their_id_was_minted_are_still_found()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        var minted = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        string V7(DateTimeOffset at) => Guid.CreateVersion7(at).ToString("N");
        var uploads = new[]
        {
            Candidate("as ingest registers it", V7(minted), minted.AddMilliseconds(3)),
            Candidate("received a month before: outside the bound", V7(minted), minted.AddDays(-30)),
            Candidate("received two minutes before: just outside it", V7(minted.AddSeconds(1)), minted.AddMinutes(-2)),
            Candidate("a signed URL used days later", V7(minted.AddDays(-2)), minted.AddDays(5)),
            Candidate("no time in the id at all", Guid.NewGuid().ToString("N"), minted.AddYears(-1)),
        };
        foreach (var u in uploads) await ledger.RegisterAsync(u, default);
        var missing = V7(minted);

        var many = await ledger.GetManyAsync([.. uploads.Select(u => u.UploadId), missing], default);
        Assert.Equal(uploads.Select(u => (u.UploadId, u.ReceivedAt)).Order(), many.Values.Select(u => (u.UploadId, u.ReceivedAt)).Order());
        foreach (var u in uploads) Assert.Equal(u.ReceivedAt, (await ledger.GetAsync(u.UploadId, default))?.ReceivedAt);
        Assert.Null(await ledger.GetAsync(missing, default));
    }
}
