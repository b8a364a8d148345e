using System.Collections.Concurrent;
using Tarmac.Core.Ports;

namespace Tarmac.Core.Uploads;

/// <summary>
/// Lets <c>?wait=true</c> return as soon as an upload reaches an outcome. In one process the loader
/// signals directly; across services (Google Cloud) the wait falls back to re-reading the ledger.
/// </summary>
public sealed class UploadSignals(IUploadLedger ledger, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    /// <summary>Wakes anyone waiting on <paramref name="uploadId"/>.</summary>
    public void Completed(string uploadId)
    {
        if (_waiters.TryRemove(uploadId, out var tcs)) tcs.TrySetResult();
    }

    /// <summary>Waits until the upload's status is final or <paramref name="timeout"/> passes; returns its latest record.</summary>
    public async Task<UploadRecord?> WaitForOutcomeAsync(string uploadId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + timeout;
        var poll = TimeSpan.FromMilliseconds(20);
        TaskCompletionSource? tcs = null;
        try
        {
            while (true)
            {
                tcs = _waiters.GetOrAdd(uploadId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                var record = await ledger.GetAsync(uploadId, ct);
                if (record is null || record.Status.IsFinal()) return record;
                var left = deadline - time.GetUtcNow();
                if (left <= TimeSpan.Zero) return record;
                await Task.WhenAny(tcs.Task, Task.Delay(poll < left ? poll : left, time, ct));
                ct.ThrowIfCancellationRequested();
                poll = TimeSpan.FromMilliseconds(Math.Min(poll.TotalMilliseconds * 2, 1000));
            }
        }
        finally
        {
            // Where the loader runs in another service (Google Cloud) nobody ever signals: drop the entry rather than
            // keep one per waited upload forever. Only our own entry is removed; a newer waiter re-adds its own.
            if (tcs is not null) _waiters.TryRemove(KeyValuePair.Create(uploadId, tcs));
        }
    }
}
