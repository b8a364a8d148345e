using Tarmac.Core.Datasets;
using Tarmac.GoogleCloud.BigQuery;
using Tarmac.GoogleCloud.State;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// Flushes a dataset <c>TARMAC_BATCH_WINDOW_MS</c> after this instance staged work for it, so staged rows wait at most
/// that long while the instance runs. Cloud Run may throttle the CPU between requests, so this is the fast path only:
/// Cloud Scheduler's <c>POST /flush</c> is what guarantees the load.
/// </summary>
public sealed partial class FlushTimer(
    PendingLoads pending, BigQueryFlusher flusher, OutcomeReports reports, SchemaCatalog catalog, TarmacOptions options, TimeProvider time,
    ILogger<FlushTimer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = TimeSpan.FromMilliseconds(Math.Max(0, options.BatchWindowMs));
        var due = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (!stoppingToken.IsCancellationRequested)
        {
            // Wait for new work or the next due flush, whichever comes first.
            var next = due.Count == 0 ? Timeout.InfiniteTimeSpan : due.Values.Min() - time.GetUtcNow();
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                if (next != Timeout.InfiniteTimeSpan) wait.CancelAfter(next < TimeSpan.Zero ? TimeSpan.Zero : next);
                try
                {
                    var dataset = await pending.Signals.ReadAsync(wait.Token);
                    due.TryAdd(dataset, time.GetUtcNow() + window);
                    continue;
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
            }
            var now = time.GetUtcNow();
            foreach (var name in due.Where(d => d.Value <= now).Select(d => d.Key).ToList())
            {
                due.Remove(name);
                if (!catalog.TryGet(name, out var dataset)) continue;
                if (!await TryFlushAsync(dataset, stoppingToken)) due[name] = time.GetUtcNow() + flusher.MinInterval + window;
            }
        }
    }

    /// <summary>False when the flush did not run (held elsewhere, too soon, or failed): then it is tried again later.</summary>
    private async Task<bool> TryFlushAsync(DatasetSchema dataset, CancellationToken ct)
    {
        try
        {
            var result = await flusher.FlushAsync(dataset, force: false, ct);
            reports.Settled(result.Settled);
            return result.Ran;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogFlushFailed(logger, e, dataset.Name);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flush of {dataset} failed; it is tried again later, and by the scheduled flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception e, string dataset);
}
