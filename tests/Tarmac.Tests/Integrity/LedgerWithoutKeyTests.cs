using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// DuckDB 1.5's revert of a commit that ran out of memory leaves the reverted rows' keys in a primary-key index: found by
/// the benchmark at a 64 MB pool, where 795 takeoffs then never loaded and the host no longer started (docs/operations.md,
/// "Memory (local host)"; duckdb/duckdb#23645). The ledger and the versions table have no primary key now (a failed
/// commit replaces the instance instead: <see cref="FailedCommitResetTests"/>); a file written with the keys is rebuilt
/// without them when it opens, broken index and all.
/// </summary>
public sealed class LedgerWithoutKeyTests
{
    private static readonly DatasetSchema Things = SchemaCatalog.Parse("things", """[{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"}]""");

    [Fact]
    public void A_ledger_written_with_a_primary_key_is_rebuilt_without_it_once_keeping_every_row_and_freeing_the_reverted_ids()
    {
        var path = Path.Combine(TempDirs.Create("tarmac-ledger-key"), "w.duckdb");
        long committed;
        List<UploadRecord> reverted;
        using (var old = new DuckDBConnection($"Data Source={path};memory_limit=16MB;threads=2"))
        {
            old.Open();
            // The tables as releases before this one created them.
            Execute(old, """
                CREATE TABLE _tarmac_uploads (
                  upload_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, object VARCHAR NOT NULL, bytes BIGINT NOT NULL,
                  sha256 VARCHAR NOT NULL, status VARCHAR NOT NULL, file_name VARCHAR, content_type VARCHAR, client VARCHAR,
                  rows_loaded BIGINT NOT NULL DEFAULT 0, rows_rejected BIGINT NOT NULL DEFAULT 0, errors VARCHAR, error VARCHAR,
                  received_at TIMESTAMP NOT NULL, processing_started_at TIMESTAMP, completed_at TIMESTAMP, attempts INTEGER NOT NULL DEFAULT 0,
                  traceparent VARCHAR);
                CREATE TABLE _tarmac_datasets (dataset VARCHAR PRIMARY KEY, version BIGINT NOT NULL, last_loaded_at TIMESTAMP NOT NULL);
                INSERT INTO _tarmac_datasets VALUES ('things', 7, TIMESTAMP '2026-12-01 10:00:00');
                CREATE TABLE things (id BIGINT NOT NULL, label VARCHAR, _upload_id VARCHAR NOT NULL, _line BIGINT NOT NULL, _loaded_at TIMESTAMP NOT NULL);
                """);
            (committed, reverted) = CommitUntilOneRunsOutOfMemory(old);
            // The defect, as DuckDB 1.5.6 shows it: no row holds the id, and the index refuses it anyway. Should a DuckDB
            // upgrade fix the revert, this is the line that says so.
            Assert.Equal(0L, Scalar(old, $"SELECT count(*) FROM _tarmac_uploads WHERE upload_id || '' = '{reverted[0].UploadId}'"));
            var refused = Assert.Throws<DuckDBException>(() => AppendLedgerRows(old, [reverted[0]]));
            Assert.Contains("Duplicate key", refused.Message, StringComparison.Ordinal);
        }

        using (var db = new DuckDbDatabase(path, new SchemaCatalog([Things]), "256MB"))
        {
            Assert.Equal(["_tarmac_uploads", "_tarmac_datasets"], db.KeysDropped);
            var log = new LogLines();
            using (new DuckDbUploadLedger(db, TimeProvider.System, log))
                Assert.Contains(log.Lines, l => l.Contains("Rebuilt _tarmac_uploads without its primary key", StringComparison.Ordinal));
            using var c = db.Open();
            Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"));
            Assert.Equal(committed, Scalar(c, "SELECT count(*) FROM _tarmac_uploads"));
            Assert.Equal(committed, Scalar(c, "SELECT count(DISTINCT upload_id) FROM _tarmac_uploads"));
            Assert.Equal("things 7 2026-12-01 10:00:00", Text(c, "SELECT dataset || ' ' || version || ' ' || strftime(last_loaded_at, '%Y-%m-%d %H:%M:%S') FROM _tarmac_datasets"));
            // The ids the broken index refused are free: the load that failed can write them when it runs again.
            AppendLedgerRows(c, reverted);
            Assert.Equal(committed + reverted.Count, Scalar(c, "SELECT count(DISTINCT upload_id) FROM _tarmac_uploads"));
        }
        using (var again = new DuckDbDatabase(path, new SchemaCatalog([Things]), "256MB"))
            Assert.Empty(again.KeysDropped);
    }

    /// <summary>
    /// Commits batches of ledger rows (with three times as many dataset rows) into a 16 MB pool until a commit runs out of
    /// memory; returns the ledger rows committed before it and the rows of the commit that failed.
    /// </summary>
    private static (long Committed, List<UploadRecord> Reverted) CommitUntilOneRunsOutOfMemory(DuckDBConnection c)
    {
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

    private static void AppendLedgerRows(DuckDBConnection c, List<UploadRecord> rows)
    {
        using var appender = c.CreateAppender("_tarmac_uploads");
        foreach (var u in rows) UploadRows.Append(appender, u);
    }

    private static void Execute(DuckDBConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static long Scalar(DuckDBConnection c, string sql) => Convert.ToInt64(Text(c, sql), System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(DuckDBConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql; // test constants and ids this test minted
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
