using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Process;
using Tarmac.ServiceDefaults;

namespace Tarmac.Local;

/// <summary>
/// The local backend's event subscription: reads in-process object events, gathers those that arrive
/// within a short window into one batch, and loads them. At startup it first re-queues what a previous
/// run left behind: uploads still stored, and recent raw objects the ledger never heard of.
/// </summary>
public sealed partial class LocalEventPump(
    InProcessObjectEvents events, UploadProcessor processor, IUploadLedger ledger, IObjectStore store,
    SchemaCatalog catalog, TarmacOptions options, TimeProvider time, ILogger<LocalEventPump> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        var reader = events.Reader;
        var window = TimeSpan.FromMilliseconds(Math.Max(0, options.BatchWindowMs));
        var batch = new List<ObjectFinalized>();
        while (await reader.ReadBatchAsync(batch, Math.Max(1, options.BatchMaxUploads), window, time, stoppingToken))
        {
            try
            {
                await processor.ProcessAsync(batch, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Only transient failures get here (the processor settles everything else): the uploads stay
                // stored, and their events go back on the queue after a pause rather than wait for a restart.
                LogPumpError(logger, e, batch.Count);
                _ = RequeueLaterAsync(batch.ToList(), stoppingToken);
            }
        }
    }

    private async Task RequeueLaterAsync(List<ObjectFinalized> failed, CancellationToken ct)
    {
        try
        {
            await Task.Delay(RetryPause, time, ct);
            foreach (var evt in failed) await events.PublishAsync(evt, ct);
        }
        catch (OperationCanceledException) { } // shutting down: the startup scan picks them up
    }

    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(5);

    private async Task RecoverAsync(CancellationToken ct)
    {
        var pending = new List<ObjectFinalized>();
        foreach (var u in await ledger.ListByStatusAsync(UploadStatus.Stored, int.MaxValue, ct))
            pending.Add(new ObjectFinalized(store.Bucket, u.Object, 0));
        // A crash between storing an object and registering it leaves an object the ledger does not know.
        // Only the last two days are scanned: that window is what a crash can leave behind.
        var today = time.GetUtcNow().UtcDateTime;
        var recent = new List<(StoredObject Object, string UploadId)>();
        foreach (var ds in catalog.Datasets)
            foreach (var day in new[] { today.AddDays(-1), today })
                await foreach (var obj in store.ListAsync($"{UploadIds.RawPrefix}{ds.Name}/{day:yyyy-MM-dd}/", ct))
                    if (UploadIds.TryParseObjectName(obj.Name, out _, out var id)) recent.Add((obj, id));
        foreach (var chunk in recent.Chunk(10_000))
        {
            var known = await ledger.GetManyAsync(chunk.Select(x => x.UploadId).ToList(), ct);
            pending.AddRange(chunk.Where(x => !known.ContainsKey(x.UploadId)).Select(x => new ObjectFinalized(store.Bucket, x.Object.Name, x.Object.Generation)));
        }
        if (pending.Count == 0) return;
        LogRecovering(logger, pending.Count);
        foreach (var chunk in pending.Chunk(Math.Max(1, options.BatchMaxUploads)))
            await processor.ProcessAsync(chunk, ct);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing a batch of {count} events failed; its uploads stay stored and are retried shortly")]
    private static partial void LogPumpError(ILogger logger, Exception e, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovering {count} uploads left unprocessed by an earlier run")]
    private static partial void LogRecovering(ILogger logger, int count);
}
