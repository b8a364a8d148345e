using System.Data.Common;
using System.Text;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Datasets;

namespace Tarmac.Embedded;

/// <summary>
/// The embedded warehouse's one DuckDB file: a table per dataset, the uploads ledger and the dataset versions. Because
/// data and ledger share one database, an upload's rows and its status commit in one transaction. Owns the paths and the
/// connections; the ports (<see cref="DuckDbUploadLedger"/>, <see cref="DuckDbWarehouseLoader"/>,
/// <see cref="DuckDbWarehouseReader"/>) each work through it.
/// </summary>
public sealed partial class DuckDbDatabase : IDisposable
{
    /// <summary>The uploads ledger.</summary>
    internal const string UploadsTable = "_tarmac_uploads";

    /// <summary>Each dataset's data version and latest load.</summary>
    internal const string VersionsTable = "_tarmac_datasets";

    private readonly string _connectionString;
    private readonly ILogger? _logger;
    private readonly object _gate = new();
    private DuckDBConnection _anchor;
    private int _connections;
    private bool _resetting;
    private volatile bool _resetPending;

    /// <param name="path">The database file; its folder is created.</param>
    /// <param name="catalog">The datasets whose tables it holds.</param>
    /// <param name="memoryLimit">
    /// DuckDB's buffer-pool cap, e.g. <c>256MB</c> (DuckDB's own default is 80% of RAM); larger work spills to a
    /// temp folder beside the file, so a huge upload costs disk, not memory.
    /// </param>
    /// <param name="threads">
    /// DuckDB's <c>threads</c> setting for every statement; 0 leaves DuckDB's default (one per core).
    /// </param>
    /// <param name="checkpointThreshold">
    /// DuckDB's <c>checkpoint_threshold</c>, e.g. <c>64MB</c>: how much write-ahead log a commit may leave before it
    /// checkpoints; null leaves DuckDB's default (16 MiB).
    /// </param>
    /// <param name="logger">Where a failed commit and the instance's replacement are reported; null reports nothing.</param>
    /// <exception cref="InvalidOperationException">A table's columns differ from its schema file.</exception>
    public DuckDbDatabase(string path, SchemaCatalog catalog, string? memoryLimit = null, int threads = 0, string? checkpointThreshold = null, ILogger? logger = null)
    {
        _logger = logger;
        FilePath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        if (memoryLimit is not null && !IsSize(memoryLimit))
            throw new ArgumentException($"DuckDB memory limit '{memoryLimit}' must look like 256MB or 1GB.", nameof(memoryLimit));
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (checkpointThreshold is not null && !IsSize(checkpointThreshold))
            throw new ArgumentException($"DuckDB checkpoint threshold '{checkpointThreshold}' must look like 64MB or 1GB.", nameof(checkpointThreshold));
        // Rows are always read in an explicit order (_upload_id, _line), never in insertion order, so DuckDB may
        // load in parallel without keeping it: that lets big loads stream through a small buffer pool.
        var settings = new StringBuilder($"Data Source={FilePath};preserve_insertion_order=false");
        if (memoryLimit is not null) settings.Append($";memory_limit={memoryLimit};temp_directory={FilePath}.tmp");
        // DuckDB's own default is one thread per core, each with its own buffers inside the cap; every connection opens
        // with this one string, so the setting holds for all of them.
        if (threads > 0) settings.Append(System.Globalization.CultureInfo.InvariantCulture, $";threads={threads}");
        // Under a stream of small loads, checkpoints every 16 MiB (compressing row groups again: FSST, dictionaries) were
        // what kept the loads behind the uploads in the benchmark; a larger log trades that for a longer replay after a crash.
        if (checkpointThreshold is not null) settings.Append($";checkpoint_threshold={checkpointThreshold}");
        _connectionString = settings.ToString();
        Catalog = catalog;
        // Held open for the process lifetime: DuckDB.NET shares one database instance among the
        // connections of a process while at least one is open, so later opens are cheap.
        _anchor = new DuckDBConnection(_connectionString);
        _anchor.Open();
        CreateTables();
    }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>Where the bulk loader writes the plain copies DuckDB's CSV reader reads: beside the database file.</summary>
    public string BulkFolder => Path.Combine(Path.GetDirectoryName(FilePath)!, ".bulk");

    /// <summary>Where the ledger's <see cref="RegistrationJournal"/> keeps the registrations whose rows are not written yet.</summary>
    public string JournalFolder => Path.Combine(Path.GetDirectoryName(FilePath)!, ".registrations");

    /// <summary>Uploads registered whose ledger row the load that settles them writes.</summary>
    internal OpenUploads OpenUploads { get; } = new();

    /// <summary>The datasets whose tables it holds.</summary>
    public SchemaCatalog Catalog { get; }

    /// <summary>Each dataset's data version, kept in step with the load transactions.</summary>
    internal DatasetVersionCache Versions { get; } = new();

    /// <summary>Opens a connection to the shared database instance (not thread-safe: one per operation). Waits while <see cref="TryReset"/> runs.</summary>
    public DuckDBConnection Open()
    {
        lock (_gate)
        {
            while (_resetting) Monitor.Wait(_gate);
            _connections++;
        }
        var c = new DuckDBConnection(_connectionString);
        var released = 0;
        // Close and Dispose both end in Component.Dispose, which raises Disposed (once each): counted once.
        c.Disposed += (_, _) =>
        {
            if (Interlocked.Exchange(ref released, 1) == 1) return;
            lock (_gate)
            {
                _connections--;
                Monitor.PulseAll(_gate);
            }
        };
        try
        {
            c.Open();
        }
        catch
        {
            c.Dispose();
            throw;
        }
        return c;
    }

    /// <summary>Connections <see cref="Open"/> gave that are not closed yet: what <see cref="TryReset"/> waits for.</summary>
    internal int OpenConnections
    {
        get { lock (_gate) return _connections; }
    }

    /// <summary>
    /// Set when a commit failed (<see cref="DuckDbLoadSession"/>): the instance's state is suspect until <see cref="TryReset"/>
    /// replaces it, and loads wait for that.
    /// </summary>
    internal bool ResetPending => _resetPending;

    /// <summary>A load's commit failed and DuckDB reverted it: the instance is suspect until <see cref="TryReset"/> replaces it.</summary>
    internal void CommitReverted(Exception e)
    {
        _resetPending = true;
        if (_logger is not null) LogCommitReverted(_logger, e.Message.Split('\n')[0]);
    }

    /// <summary>
    /// How long <see cref="TryReset"/> waits for open connections to close, while new ones wait: a status read or a query
    /// page closes in milliseconds, and every request that needs a connection stalls for as long as this. A slow reader's
    /// export holds its connection for as long as the reader takes; the reset waits for it at the next try instead.
    /// </summary>
    internal static readonly TimeSpan ResetDrain = TimeSpan.FromSeconds(1);

    /// <summary>The least time between two tries of <see cref="TryReset"/> from <see cref="EnsureSound"/>, so that a long export stalls the requests for at most a fifth of the time.</summary>
    private const long ResetRetryMilliseconds = 5_000;

    private long _lastResetTry = long.MinValue / 2;

    /// <summary>
    /// Before a write that may append to the ledger: replaces the instance if a failed commit left it suspect, or throws a
    /// <see cref="WarehouseReplacingException"/> (the work stays stored and is tried again) if it cannot yet.
    /// </summary>
    internal void EnsureSound()
    {
        if (!ResetPending) return;
        if (Environment.TickCount64 - Interlocked.Read(ref _lastResetTry) < ResetRetryMilliseconds || !TryReset(ResetDrain))
            throw new WarehouseReplacingException();
    }

    /// <summary>
    /// A connection for a read that may hold it as long as its client reads (a streaming export), or a
    /// <see cref="WarehouseReplacingException"/> while the instance waits to be replaced: the replacement waits for the open
    /// connections, and exports that kept opening new ones would put it off, and the loads with it, for as long as they came.
    /// Short reads (pages, status) still open at once: they close in milliseconds.
    /// </summary>
    internal DuckDBConnection OpenForLongRead() => ResetPending ? throw new WarehouseReplacingException() : Open();

    /// <summary>Instances replaced by <see cref="TryReset"/> since start.</summary>
    internal int Resets { get; private set; }

    /// <summary>
    /// Replaces the database instance with a new one opened from the file. DuckDB 1.5's revert of a commit that ran out of
    /// memory leaves the instance inconsistent: keys without rows in an ART index, and appends to the table afterwards that
    /// repeat one block of rows in place of another (<c>FailedCommitResetTests</c>). What the file and its write-ahead log
    /// hold is what was committed, and an instance opened from them appends correctly. New connections wait meanwhile; it
    /// waits up to <paramref name="drain"/> for the open ones to close, and gives up (false, still pending) if they do not.
    /// </summary>
    internal bool TryReset(TimeSpan drain)
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _lastResetTry, Environment.TickCount64);
            _resetting = true;
            try
            {
                var until = Environment.TickCount64 + (long)drain.TotalMilliseconds;
                while (_connections > 0)
                {
                    var left = until - Environment.TickCount64;
                    if (left <= 0 || !Monitor.Wait(_gate, TimeSpan.FromMilliseconds(left))) break;
                }
                if (_connections > 0)
                {
                    if (_logger is not null) LogResetWaiting(_logger, _connections, drain.TotalSeconds);
                    return false;
                }
                // A checkpoint now would write the suspect state into the file: the next instance replays the log instead.
                DisableCheckpointOnShutdown();
                _anchor.Dispose();
                _anchor = new DuckDBConnection(_connectionString);
                _anchor.Open();
                _resetPending = false;
                Resets++;
                if (_logger is not null) LogReset(_logger);
                return true;
            }
            finally
            {
                _resetting = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // A failed commit's suspect state is not checkpointed into the file on the way out either: the next start replays the log.
        if (ResetPending) DisableCheckpointOnShutdown();
        _anchor.Dispose();
        LoadLock.Dispose();
    }

    // No primary key, on this table or the versions table. DuckDB 1.5's revert of a commit that ran out of memory can leave
    // the reverted rows' keys in an ART index with no row behind them (duckdb/duckdb#23645; docs/operations.md, "Memory
    // (local host)"): every later insert of those ids is refused as a duplicate, and a lookup through the index can answer
    // with another row. What keeps an upload to one row is that a row is inserted only under LoadLock, by whoever finds it
    // has none; reads are bounded scans (UploadRows), which never used the index.
    private const string UploadsColumns = """
        upload_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, object VARCHAR NOT NULL, bytes BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL, status VARCHAR NOT NULL, file_name VARCHAR, content_type VARCHAR, client VARCHAR,
        rows_loaded BIGINT NOT NULL DEFAULT 0, rows_rejected BIGINT NOT NULL DEFAULT 0, errors VARCHAR, error VARCHAR,
        received_at TIMESTAMP NOT NULL, processing_started_at TIMESTAMP, completed_at TIMESTAMP, attempts INTEGER NOT NULL DEFAULT 0,
        traceparent VARCHAR
        """;

    private const string VersionsColumns = "dataset VARCHAR NOT NULL, version BIGINT NOT NULL, last_loaded_at TIMESTAMP NOT NULL";

    /// <summary>
    /// Held by whoever may insert the row of an open upload: a load transaction from its start to its end, and the failure
    /// path. Each checks that the upload has no row while it holds this, so no two write one. (The startup replay writes
    /// the rows of registrations that are not open, before the registrar starts.)
    /// </summary>
    internal SemaphoreSlim LoadLock { get; } = new(1, 1);

    /// <summary>The tables a file written before this release held with a primary key, rebuilt without it when it opened.</summary>
    internal IReadOnlyList<string> KeysDropped { get; private set; } = [];

    /// <summary>
    /// Builds a table again from its rows without its primary key, in one transaction: what a file written before the keys
    /// were dropped needs once, and what takes a key a reverted commit left in the index out with it. It reads and writes the
    /// whole table (about 5 s for 780,000 ledger rows), so it runs only when the table still has a key.
    /// </summary>
    private static void RebuildWithoutKey(DuckDBConnection c, string table, string columnsDdl, string columns, string order)
    {
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            CREATE TABLE {table}_rebuilt AS SELECT {columns} FROM {table};
            DROP TABLE {table};
            CREATE TABLE {table} ({columnsDdl});
            INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_rebuilt ORDER BY {order};
            DROP TABLE {table}_rebuilt;
            """;
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    private void DisableCheckpointOnShutdown()
    {
        using var cmd = _anchor.CreateCommand();
        cmd.CommandText = "PRAGMA disable_checkpoint_on_shutdown";
        cmd.ExecuteNonQuery();
    }

    private bool HasPrimaryKey(string table)
    {
        using var cmd = _anchor.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM duckdb_constraints() WHERE table_name = $t AND constraint_type = 'PRIMARY KEY'";
        cmd.Parameters.Add(new DuckDBParameter("t", table));
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private void CreateTables()
    {
        var sql = new StringBuilder();
        sql.Append($"""
            CREATE TABLE IF NOT EXISTS {UploadsTable} ({UploadsColumns});
            -- Added after the first release: a ledger written before it gains the column, its rows NULL (no trace kept).
            ALTER TABLE {UploadsTable} ADD COLUMN IF NOT EXISTS traceparent VARCHAR;
            -- Identical bytes are recognised by the one registrar (DuckDbUploadLedger), which looks up whatever its filter may
            -- have seen. The unique index that ledgers before it kept cost an index insert per takeoff, and memory per upload.
            DROP INDEX IF EXISTS {UploadsTable}_content;
            CREATE TABLE IF NOT EXISTS {VersionsTable} ({VersionsColumns});
            """);
        foreach (var ds in Catalog.Datasets)
        {
            sql.Append($"CREATE TABLE IF NOT EXISTS {DuckDbSql.QuoteIdentifier(ds.Name)} (");
            foreach (var c in ds.Columns)
                sql.Append($"{DuckDbSql.QuoteIdentifier(c.Name)} {DuckDbSql.SqlType(c.Type)}{(c.Required ? " NOT NULL" : "")}, ");
            sql.Append($"{SystemColumns.UploadId} VARCHAR NOT NULL, {SystemColumns.Line} BIGINT NOT NULL, {SystemColumns.LoadedAt} TIMESTAMP NOT NULL);\n");
        }
        using var cmd = _anchor.CreateCommand();
        cmd.CommandText = sql.ToString();
        cmd.ExecuteNonQuery();
        var dropped = new List<string>();
        if (HasPrimaryKey(UploadsTable))
        {
            RebuildWithoutKey(_anchor, UploadsTable, UploadsColumns, UploadRows.Columns, "received_at");
            dropped.Add(UploadsTable);
        }
        if (HasPrimaryKey(VersionsTable))
        {
            RebuildWithoutKey(_anchor, VersionsTable, VersionsColumns, "dataset, version, last_loaded_at", "dataset");
            dropped.Add(VersionsTable);
        }
        KeysDropped = dropped;
        foreach (var ds in Catalog.Datasets) CheckTableMatches(ds);
    }

    private void CheckTableMatches(DatasetSchema ds)
    {
        using var cmd = _anchor.CreateCommand();
        cmd.CommandText = "SELECT column_name FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position";
        cmd.Parameters.Add(new DuckDBParameter("t", ds.Name));
        var actual = new List<string>();
        using (var r = cmd.ExecuteReader()) while (r.Read()) actual.Add(r.GetString(0));
        var expected = ds.Columns.Select(c => c.Name).Concat(SystemColumns.All).ToList();
        if (!actual.SequenceEqual(expected))
            throw new InvalidOperationException(
                $"Table '{ds.Name}' in the warehouse has columns ({string.Join(", ", actual)}) but its schema file declares ({string.Join(", ", expected)}). " +
                "Schema changes need a migration: export the table, remove it, and reload.");
    }

    /// <summary>A named parameter; null becomes SQL NULL.</summary>
    internal static DuckDBParameter P(string name, object? value) => new(name, value ?? DBNull.Value);

    /// <summary>Runs a statement with its parameters; returns the rows it changed.</summary>
    internal static async Task<int> ExecuteAsync(DuckDBConnection c, string sql, CancellationToken ct, params DuckDBParameter[] ps)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddRange(ps);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A TIMESTAMP column (stored as UTC without a zone) as a UTC time, or null.</summary>
    internal static DateTimeOffset? ReadTime(DbDataReader r, int i) =>
        r.IsDBNull(i) ? null : new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc));

    /// <summary>True for a size DuckDB takes in a setting (<c>memory_limit</c>, <c>checkpoint_threshold</c>), such as <c>256MB</c> or <c>1GB</c>.</summary>
    public static bool IsSize(string? value) => value is not null && SizePattern().IsMatch(value);

    [LoggerMessage(Level = LogLevel.Error, Message = "A load's commit failed and DuckDB reverted it ({reason}); its uploads stay stored, and the database instance is replaced before the next load, since DuckDB's revert can leave it writing wrong rows (docs/operations.md, Memory)")]
    private static partial void LogCommitReverted(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replaced the database instance with one opened from the file after a failed commit")]
    private static partial void LogReset(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{count} connections were still open after {seconds} s (a slow reader's export holds one): the database instance is not replaced yet, loads wait, and the next load tries again in 5 s")]
    private static partial void LogResetWaiting(ILogger logger, int count, double seconds);

    [GeneratedRegex("^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|KiB|MiB|GiB)$")]
    private static partial Regex SizePattern();
}
