using System.Diagnostics.Metrics;
using Tarmac.Core.Ports;

namespace Tarmac.Embedded;

/// <summary>
/// Loads into the embedded warehouse: each batch is one DuckDB transaction (<see cref="DuckDbLoadSession"/>) holding the
/// rows and the ledger update, one at a time (<see cref="DuckDbDatabase.LoadLock"/>) because DuckDB is single-writer per
/// table and batches are already large, and because a load writes the rows of the uploads that have none.
/// </summary>
public sealed class DuckDbWarehouseLoader : IWarehouseLoader, IDisposable
{
    /// <summary>Default of <see cref="BulkThresholdBytes"/>: 16 MiB.</summary>
    public const long DefaultBulkThresholdBytes = 16L << 20;

    private readonly Meter _meter;
    private readonly Counter<long> _transactionsCounter;
    private long _loadTransactions;

    /// <param name="db">The database to load into.</param>
    /// <param name="time">Clock for load timestamps.</param>
    /// <param name="meters">Where the load counters are published; null keeps them private (tests, tools).</param>
    public DuckDbWarehouseLoader(DuckDbDatabase db, TimeProvider time, IMeterFactory? meters = null)
    {
        Database = db;
        Time = time;
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _transactionsCounter = _meter.CreateCounter<long>("tarmac.load.transactions", description: "Load transactions committed (one per batch of uploads)");
        Bulk = new DuckDbBulkLoader(db, _meter.CreateCounter<long>("tarmac.load.bulk", description: "Uploads loaded by DuckDB's CSV reader (the bulk path)"));
    }

    /// <summary>The meter the load counters are on (the one every Tarmac metric uses).</summary>
    public const string MeterName = "Tarmac";

    /// <summary>
    /// Uploads of at least this many bytes are loaded by DuckDB's own CSV reader when they are plain CSV (see
    /// <see cref="PlainCsvRewriter"/>); smaller ones, and files that are not plain, are validated row by row.
    /// 0 sends every plain file down the bulk path; <see cref="long.MaxValue"/> disables it.
    /// </summary>
    public long BulkThresholdBytes { get; set; } = DefaultBulkThresholdBytes;

    /// <summary>How a bulk file is cut to be rewritten in parts at once (tests cut small files): the outcome never depends on it.</summary>
    internal (int Parts, long PartBytes) BulkCut
    {
        get => (Bulk.Parts, Bulk.PartBytes);
        set => (Bulk.Parts, Bulk.PartBytes) = value;
    }

    /// <summary>Load transactions committed since start: with micro-batching, far fewer than uploads loaded.</summary>
    public long LoadTransactions => Interlocked.Read(ref _loadTransactions);

    /// <summary>Uploads loaded by the bulk path since start.</summary>
    public long BulkLoads => Bulk.Loads;

    internal DuckDbDatabase Database { get; }

    internal TimeProvider Time { get; }

    internal DuckDbBulkLoader Bulk { get; }

    /// <inheritdoc />
    public async Task<ILoadSession> BeginAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        await Database.LoadLock.WaitAsync(ct);
        try
        {
            Database.EnsureSound();
            return new OutOfMemoryAsTransient(await DuckDbLoadSession.BeginAsync(this, batch, ct));
        }
        catch (Exception e)
        {
            Database.LoadLock.Release();
            if (DuckDbErrors.IsOutOfMemory(e)) throw DuckDbErrors.Transient(e);
            throw;
        }
    }

    /// <summary>Called by a session as it ends, committed or not.</summary>
    internal void Ended(bool committed)
    {
        if (committed)
        {
            Interlocked.Increment(ref _loadTransactions);
            _transactionsCounter.Add(1);
        }
        Database.LoadLock.Release();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _meter.Dispose();
    }
}
