using System.Threading.Channels;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// Gathers push requests that arrive within <c>TARMAC_BATCH_WINDOW_MS</c> into one batch, so many small uploads
/// share one load job. Each request awaits its batch: it completes with the upload's record when the batch
/// is durably loaded, and faults when the batch failed, so its push is answered 5xx and redelivered.
/// </summary>
public sealed partial class PushBatcher(UploadProcessor processor, TarmacOptions options, TimeProvider time, ILogger<PushBatcher> logger) : BackgroundService
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues an event and waits for its batch; null when the event concerned nothing to load.</summary>
    public async Task<UploadRecord?> SubmitAsync(ObjectFinalized evt, CancellationToken ct)
    {
        var pending = new Pending(evt, new TaskCompletionSource<UploadRecord?>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, ct);
        // A cancelled request (Pub/Sub gave up waiting) leaves its batch running: the work is not lost, only the answer.
        return await pending.Done.Task.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var window = TimeSpan.FromMilliseconds(Math.Max(0, options.BatchWindowMs));
        var max = Math.Clamp(options.BatchMaxUploads, 1, 10_000);
        var batch = new List<Pending>();
        while (await reader.ReadBatchAsync(batch, max, window, time, stoppingToken))
            await RunAsync(batch, stoppingToken);
    }

    private async Task RunAsync(List<Pending> batch, CancellationToken ct)
    {
        try
        {
            var results = await processor.ProcessAsync(batch.Select(p => p.Event).ToList(), ct);
            var byObject = results.GroupBy(r => r.Object, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var byId = results.GroupBy(r => r.UploadId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            foreach (var p in batch)
                p.Done.TrySetResult(byObject.GetValueOrDefault(p.Event.Name)
                    ?? (UploadIds.TryParseObjectName(p.Event.Name, out _, out var id) ? byId.GetValueOrDefault(id) : null));
        }
        catch (Exception e)
        {
            LogBatchFailed(logger, e, batch.Count);
            foreach (var p in batch) p.Done.TrySetException(e);
        }
    }

    private sealed record Pending(ObjectFinalized Event, TaskCompletionSource<UploadRecord?> Done);

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {count} pushed events failed; each is answered 5xx and will be redelivered")]
    private static partial void LogBatchFailed(ILogger logger, Exception e, int count);
}
