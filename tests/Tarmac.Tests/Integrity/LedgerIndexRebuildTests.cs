using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// DuckDB 1.5's revert of a commit that ran out of memory leaves the reverted rows' keys in a primary-key index: found by
/// the benchmark at a 64 MB pool, where 795 takeoffs then never loaded and the host no longer started (docs/operations.md,
/// "Memory (local host)"). Their registrations are replayed at the next start; the ledger rebuilds its table once and
/// writes them, instead of stopping on "Duplicate key".
/// </summary>
public sealed class LedgerIndexRebuildTests
{
    private static readonly DatasetSchema Things = SchemaCatalog.Parse("things", """[{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"}]""");

    [Fact]
    public async Task A_registration_whose_id_a_reverted_commit_left_in_the_index_gets_its_row_at_the_next_start()
    {
        using var db = new DuckDbDatabase(Path.Combine(TempDirs.Create("tarmac-ledger-index"), "w.duckdb"), new SchemaCatalog([Things]), "16MB", threads: 2);
        var (committed, reverted) = CommitUntilOneRunsOutOfMemory(db);
        // The defect this recovery is for, as DuckDB 1.5.6 shows it: no row holds the id, and the index refuses it anyway.
        // Should a DuckDB upgrade fix the revert, this is the line that says so.
        Assert.Equal(0L, Scalar(db, $"SELECT count(*) FROM _tarmac_uploads WHERE upload_id || '' = '{reverted[0].UploadId}'"));
        var refused = Assert.Throws<DuckDBException>(() => AppendLedgerRows(db, [reverted[0]]));
        Assert.Contains("Duplicate key", refused.Message, StringComparison.Ordinal);
        OutOfMemoryTests.SetMemoryLimit(db, "256MB");

        var lost = reverted[1] with { Status = UploadStatus.Stored };
        using (var before = new DuckDbUploadLedger(db, TimeProvider.System))
            Assert.Equal(RegisterOutcome.Created, (await before.RegisterAsync(lost, default)).Outcome);
        var log = new LogLines();
        using var next = new DuckDbUploadLedger(db, TimeProvider.System, log);

        Assert.Equal(1, next.Replayed);
        var stored = await next.GetAsync(lost.UploadId, default);
        Assert.Equal((lost.UploadId, UploadStatus.Stored), (stored?.UploadId, stored?.Status));
        Assert.Equal(committed + 1, Scalar(db, "SELECT count(*) FROM _tarmac_uploads"));
        Assert.Equal(committed + 1, Scalar(db, "SELECT count(DISTINCT upload_id) FROM _tarmac_uploads"));
        Assert.Contains(log.Lines, l => l.Contains("Rebuilt the ledger table", StringComparison.Ordinal));
        // The rebuilt index holds the other reverted ids no more.
        AppendLedgerRows(db, [reverted[2]]);
    }

    /// <summary>
    /// Commits batches of ledger rows (with three times as many dataset rows) into the small pool until a commit runs out
    /// of memory; returns the ledger rows committed before it and the rows of the commit that failed.
    /// </summary>
    private static (long Committed, List<UploadRecord> Reverted) CommitUntilOneRunsOutOfMemory(DuckDbDatabase db)
    {
        using var c = db.Open();
        long committed = 0;
        var seen = new List<string>();
        // Where a batch stops fitting depends on what the pool already holds: batches grow after a commit and shrink after a
        // failed append, until one fails at its commit.
        var size = 2_000;
        for (var b = 0; b < 60; b++)
        {
            var batch = Enumerable.Range(0, size).Select(_ => Record(UploadIds.New())).ToList();
            using var tx = c.BeginTransaction();
            try
            {
                using (var things = c.CreateAppender("things"))
                    for (var i = 0; i < 3 * size; i++)
                        things.CreateRow().AppendValue((long)i).AppendValue($"label {b} {i}").AppendValue(batch[i % batch.Count].UploadId).AppendValue((long)i + 2).AppendValue(DateTime.UtcNow).EndRow();
                using (var ledger = c.CreateAppender("_tarmac_uploads"))
                    foreach (var u in batch) UploadRows.Append(ledger, u);
            }
            catch (DuckDBException e)
            {
                seen.Add(e.Message.Split('\n')[0]);
                tx.Rollback(); // out of memory before the commit: not the case this test is about
                size = size * 2 / 3;
                continue;
            }
            try
            {
                tx.Commit();
                committed += batch.Count;
                size = size * 3 / 2;
            }
            catch (DuckDBException e) when (e.Message.Contains("Failed to commit", StringComparison.Ordinal))
            {
                return (committed, batch);
            }
        }
        throw new InvalidOperationException($"No commit ran out of memory in a 16 MB pool ({committed} rows committed; {string.Join("; ", seen.Distinct())}): the case this test needs did not happen.");
    }

    private static UploadRecord Record(string id) => new()
    {
        UploadId = id, Dataset = "things", Object = $"raw/things/x/{id}.csv", Bytes = 10, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        Status = UploadStatus.Loaded, ReceivedAt = DateTimeOffset.UtcNow,
    };

    private static void AppendLedgerRows(DuckDbDatabase db, List<UploadRecord> rows)
    {
        using var c = db.Open();
        using var appender = c.CreateAppender("_tarmac_uploads");
        foreach (var u in rows) UploadRows.Append(appender, u);
    }

    private static long Scalar(DuckDbDatabase db, string sql)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql; // test constants and ids this test minted
        return Convert.ToInt64(cmd.ExecuteScalar());
    }
}
