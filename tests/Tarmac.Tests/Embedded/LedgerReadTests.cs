using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// Issue 14: ledger reads are bounded by when the ids say they were minted (so a batch reads the last row groups, not the
/// whole ledger), and give the same answer when an id's time says nothing about when its upload was received.
/// </summary>
public class LedgerReadTests
{
    private readonly string _dataDir = TempDirs.Create("tarmac-data");
    private static readonly SchemaCatalog Catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));

    private static UploadRecord Upload(string id, DateTimeOffset receivedAt) => new()
    {
        UploadId = id, Dataset = "flights", Object = $"raw/flights/{receivedAt:yyyy-MM-dd}/{id}.csv", Bytes = 10,
        Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id))),
        Status = UploadStatus.Stored, ReceivedAt = receivedAt,
    };

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
        using var db = new DuckDbDatabase(Path.Combine(_dataDir, "warehouse.duckdb"), Catalog);
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        var minted = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var uploads = new[]
        {
            Upload(Guid.CreateVersion7(minted).ToString("N"), minted.AddMilliseconds(3)),       // as ingest registers it
            Upload(Guid.CreateVersion7(minted).ToString("N"), minted.AddDays(-30)),             // received a month before: outside the bound
            Upload(Guid.CreateVersion7(minted.AddDays(-2)).ToString("N"), minted.AddDays(5)),   // a signed URL used days later
            Upload(Guid.NewGuid().ToString("N"), minted.AddYears(-1)),                          // no time in the id at all
        };
        foreach (var u in uploads) await ledger.RegisterAsync(u, default);
        var missing = Guid.CreateVersion7(minted).ToString("N");

        var many = await ledger.GetManyAsync([.. uploads.Select(u => u.UploadId), missing], default);
        Assert.Equal(uploads.Select(u => (u.UploadId, u.ReceivedAt)).Order(), many.Values.Select(u => (u.UploadId, u.ReceivedAt)).Order());
        foreach (var u in uploads) Assert.Equal(u.ReceivedAt, (await ledger.GetAsync(u.UploadId, default))?.ReceivedAt);
        Assert.Null(await ledger.GetAsync(missing, default));
    }
}
