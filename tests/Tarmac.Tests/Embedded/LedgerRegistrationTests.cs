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
/// so), and the ledger's answers stay the same: duplicates found, idempotent on the upload id, across a reopen.
/// </summary>
public class LedgerRegistrationTests
{
    private readonly string _dataDir = TempDirs.Create("tarmac-data");
    private static readonly SchemaCatalog Catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));

    private static UploadRecord Candidate(string content, string? id = null)
    {
        id ??= UploadIds.New();
        return new UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = $"raw/flights/2026-12-01/{id}.csv", Bytes = content.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
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
        Assert.True(ledger.Lookups > 0);
    }

    [Fact]
    public async Task An_upload_id_registered_before_is_answered_as_it_is_even_without_a_lookup()
    {
        using var db = OpenDb();
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        await ledger.KnownLoaded;
        var first = await ledger.RegisterAsync(Candidate("original"), default);
        // The same id with bytes the ledger never saw: the set says "new", the primary key refuses, the lookup answers.
        var same = await ledger.RegisterAsync(Candidate("other bytes", first.Upload.UploadId), default);
        Assert.Equal((RegisterOutcome.Created, first.Upload.Sha256), (same.Outcome, same.Upload.Sha256));
        Assert.Equal(1, ledger.Lookups);
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
}
