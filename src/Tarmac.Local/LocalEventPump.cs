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
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the startup pass has re-queued what an earlier run left behind (and settled it).</summary>
    public Task Recovered => _recovered.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        _recovered.TrySetResult();
        var reader = events.Reader;
        var window = TimeSpan.FromMilliseconds(Math.Max(0, options.BatchWindowMs));
        var batch = new List<ObjectFinalized>();
        while (await reader.ReadBatchAsync(batch, Math.Max(1, options.BatchMaxUploads), window, time, stoppingToken))
            await ProcessOrIsolateAsync(batch, stoppingToken);
    }

    /// <summary>Loads a batch; one that fails is isolated (<see cref="IsolateAsync"/>), in the startup pass as in the live loop.</summary>
    private async Task ProcessOrIsolateAsync(IReadOnlyList<ObjectFinalized> batch, CancellationToken ct)
    {
        try
        {
            await processor.ProcessAsync(batch, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Only transient failures get here (the processor settles everything else): the uploads stay stored and are
            // tried again, rather than wait for a restart. In the startup pass this once ended the pump at every start.
            LogPumpError(logger, e, batch.Count);
            await IsolateAsync([.. batch], ct);
        }
    }

    /// <summary>
    /// Retries a batch that failed transiently. A failure of one upload's own (a large file the buffer pool cannot hold
    /// now) must not hold back the uploads that shared its window, or they would be tried together, and fail together, on
    /// every retry: each is loaded on its own at once, and the ones that still fail are retried alone with a growing pause.
    /// When none loads alone, the cause is the warehouse's (an instance being replaced): the batch goes back on the queue
    /// after a pause, to load as a batch once it passes.
    /// </summary>
    private async Task IsolateAsync(List<ObjectFinalized> batch, CancellationToken ct)
    {
        var failed = batch;
        if (batch.Count > 1)
        {
            failed = [];
            foreach (var evt in batch)
                if (!await TryProcessAsync(evt, ct)) failed.Add(evt);
            if (failed.Count == batch.Count)
            {
                _ = RequeueLaterAsync(failed, ct);
                return;
            }
        }
        foreach (var evt in failed) _ = RetryAloneAsync(evt, ct);
    }

    private async Task<bool> TryProcessAsync(ObjectFinalized evt, CancellationToken ct)
    {
        try
        {
            await processor.ProcessAsync([evt], ct);
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogUploadRetry(logger, e, evt.Name);
            return false;
        }
    }

    private async Task RetryAloneAsync(ObjectFinalized evt, CancellationToken ct)
    {
        try
        {
            for (var pause = RetryPause; ; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxRetryPause.Ticks)))
            {
                await Task.Delay(pause, time, ct);
                if (await TryProcessAsync(evt, ct)) return;
            }
        }
        catch (OperationCanceledException) { } // shutting down: the startup pass loads what is still stored
    }

    private async Task RequeueLaterAsync(List<ObjectFinalized> failed, CancellationToken ct)
    {
        try
        {
            await Task.Delay(RetryPause, time, ct);
            foreach (var evt in failed) await events.PublishAsync(evt, ct);
        }
        catch (OperationCanceledException) { } // shutting down: the startup pass loads what is still stored
    }

    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest pause between tries of one upload that keeps failing on its own: a large file is read and rewritten on
    /// every try, so a file the pool cannot hold for minutes is tried about once a minute, not every 5 s.
    /// </summary>
    private static readonly TimeSpan MaxRetryPause = TimeSpan.FromMinutes(1);

    /// <summary>Open uploads are read from the ledger this many at a time, and listed objects checked against it.</summary>
    private const int RecoveryPage = 1000;

    private async Task RecoverAsync(CancellationToken ct)
    {
        // Work is bounded by what is unfinished, not by the bucket: open uploads come from the ledger (page by page, so
        // memory stays flat however many a crash left), and only two date folders are listed. Finished uploads are never
        // read again, and nothing the ledger knows is hashed again (the processor only hashes objects it never heard of).
        var orphans = await FindOrphansAsync(ct);
        var recovered = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var page = await ledger.ListByStatusAsync(UploadStatus.Stored, RecoveryPage, ct);
            // An upload still stored after its pass (a transient failure) is the live pump's to retry, not this loop's.
            var pending = page.Where(u => seen.Add(u.UploadId)).Select(u => new ObjectFinalized(store.Bucket, u.Object, 0)).ToList();
            // The orphans go with the first page, so that one pass settles what a small crash left behind.
            pending.AddRange(orphans);
            orphans.Clear();
            if (pending.Count == 0) break;
            foreach (var chunk in pending.Chunk(Math.Max(1, options.BatchMaxUploads)))
                await ProcessOrIsolateAsync(chunk, ct);
            recovered += pending.Count;
            if (page.Count < RecoveryPage) break;
        }
        if (recovered > 0) LogRecovering(logger, recovered);
    }

    /// <summary>
    /// Raw objects the ledger does not know: a crash between storing an object and registering it leaves one. Only the last
    /// two days are listed (that window is what a crash can leave behind), checked against the ledger a page at a time.
    /// </summary>
    private async Task<List<ObjectFinalized>> FindOrphansAsync(CancellationToken ct)
    {
        var today = time.GetUtcNow().UtcDateTime;
        var orphans = new List<ObjectFinalized>();
        foreach (var ds in catalog.Datasets)
            foreach (var day in new[] { today.AddDays(-1), today })
                await foreach (var chunk in ListRawAsync($"{UploadIds.RawPrefix}{ds.Name}/{day:yyyy-MM-dd}/", ct).Chunk(RecoveryPage).WithCancellation(ct))
                {
                    var known = await ledger.GetManyAsync(chunk.Select(x => x.UploadId).ToList(), ct);
                    orphans.AddRange(chunk.Where(x => !known.ContainsKey(x.UploadId)).Select(x => new ObjectFinalized(store.Bucket, x.Object.Name, x.Object.Generation)));
                }
        return orphans;
    }

    private async IAsyncEnumerable<(StoredObject Object, string UploadId)> ListRawAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var obj in store.ListAsync(prefix, ct))
            if (UploadIds.TryParseObjectName(obj.Name, out _, out var id)) yield return (obj, id);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing a batch of {count} events failed; its uploads stay stored and are retried shortly")]
    private static partial void LogPumpError(ILogger logger, Exception e, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading {object} on its own failed; it stays stored and is tried again after a pause")]
    private static partial void LogUploadRetry(ILogger logger, Exception e, string @object);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered {count} uploads left unprocessed by an earlier run")]
    private static partial void LogRecovering(ILogger logger, int count);
}
