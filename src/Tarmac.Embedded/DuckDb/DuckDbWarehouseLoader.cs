using System.Diagnostics;
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
    private readonly Histogram<double> _duration;
    private long _loadTransactions;

    /// <summary>
    /// Bucket bounds of the load histograms, in seconds: a takeoff batch commits in milliseconds, a checkpoint inside a commit
    /// takes up to seconds, a bulk file a minute (the SDK's default bounds, 0-10,000, are for milliseconds).
    /// </summary>
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    };

    /// <param name="db">The database to load into.</param>
    /// <param name="time">Clock for load timestamps.</param>
    /// <param name="meters">Where the load counters are published; null keeps them private (tests, tools).</param>
    public DuckDbWarehouseLoader(DuckDbDatabase db, TimeProvider time, IMeterFactory? meters = null)
    {
        Database = db;
        Time = time;
        // Without a factory, a meter of a name no exporter listens to: one named "Tarmac" would be published to every
        // host in the process, its loads counted as theirs.
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName + ".Unpublished");
        _transactionsCounter = _meter.CreateCounter<long>("tarmac.load.transactions", description: "Load transactions committed (one per batch of uploads)");
        _duration = _meter.CreateHistogram("tarmac.load.duration", "s",
            "Load transactions from their start to the release of the load lock: reading the batch's ledger rows, validating and appending, and the commit", advice: Seconds);
        CommitDuration = _meter.CreateHistogram("tarmac.load.commit.duration", "s",
            "Commits of load transactions; a commit that passes checkpoint_threshold runs DuckDB's checkpoint before it returns", advice: Seconds);
        // Ingest refuses uploads once this reaches TARMAC_MAX_PENDING_LOADS: how close the loads run to that.
        _meter.CreateObservableGauge("tarmac.loads.pending", () => db.OpenUploads.Pending,
            description: "Uploads accepted whose load has not committed");
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

    /// <summary>Where a session records how long its commit took.</summary>
    internal Histogram<double> CommitDuration { get; }

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

    /// <summary>Called by a session as it ends, committed or not; <paramref name="began"/> is its <see cref="Stopwatch"/> timestamp.</summary>
    internal void Ended(bool committed, long began)
    {
        _duration.Record(Stopwatch.GetElapsedTime(began).TotalSeconds, new KeyValuePair<string, object?>("committed", committed));
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
