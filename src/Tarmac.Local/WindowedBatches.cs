using System.Threading.Channels;

namespace Tarmac.Local;

/// <summary>Reads a channel in batches: everything that arrives within a window after the first item, up to a maximum.</summary>
public static class WindowedBatches
{
    /// <summary>
    /// Waits for one item, then keeps reading until <paramref name="window"/> has passed since it arrived or
    /// <paramref name="batch"/> holds <paramref name="max"/> items. Returns false when the channel is completed and empty.
    /// </summary>
    public static async Task<bool> ReadBatchAsync<T>(this ChannelReader<T> reader, List<T> batch, int max, TimeSpan window, TimeProvider time, CancellationToken ct)
    {
        batch.Clear();
        if (!await reader.WaitToReadAsync(ct)) return false;
        var deadline = time.GetUtcNow() + window;
        while (batch.Count < max)
        {
            if (reader.TryRead(out var item)) { batch.Add(item); continue; }
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero) break;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(left);
            try { if (!await reader.WaitToReadAsync(timeout.Token)) break; }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { break; }
        }
        return true;
    }
}
