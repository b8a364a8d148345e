using System.Threading.Channels;

namespace Tarmac.Bench;

/// <summary>
/// The physical anchor for group commit: every body is appended to one file, and one flush to disk covers every body
/// waiting (PostgreSQL's commit_delay, the Kafka and RocksDB write-ahead logs). A writer is answered only once the flush
/// that covers its bytes has returned, so each 200 is as durable as a file-and-flush per POST.
/// </summary>
public sealed class GroupCommitLog : IAsyncDisposable
{
    private readonly Channel<(byte[] Body, TaskCompletionSource Durable)> _queue =
        Channel.CreateUnbounded<(byte[], TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly FileStream _file;
    private readonly Task _flusher;
    private long _groups;
    private long _bodies;

    public GroupCommitLog(string path)
    {
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        _flusher = Task.Run(FlushLoopAsync);
    }

    /// <summary>Bodies per flush so far (how much one flush covered on average).</summary>
    public double BodiesPerGroup => Interlocked.Read(ref _groups) is var g and > 0 ? (double)Interlocked.Read(ref _bodies) / g : 0;

    /// <summary>Completes once <paramref name="body"/> is on disk.</summary>
    public Task AppendAsync(byte[] body)
    {
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((body, durable))) durable.SetException(new ObjectDisposedException(nameof(GroupCommitLog)));
        return durable.Task;
    }

    private async Task FlushLoopAsync()
    {
        var group = new List<TaskCompletionSource>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            // Everything queued while the previous flush ran joins this one.
            while (_queue.Reader.TryRead(out var item))
            {
                _file.Write(item.Body);
                group.Add(item.Durable);
            }
            try
            {
                _file.Flush(flushToDisk: true);
                foreach (var d in group) d.SetResult();
            }
            catch (IOException e)
            {
                foreach (var d in group) d.SetException(e);
            }
            Interlocked.Increment(ref _groups);
            Interlocked.Add(ref _bodies, group.Count);
            group.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.Complete();
        await _flusher;
        await _file.DisposeAsync();
    }
}
