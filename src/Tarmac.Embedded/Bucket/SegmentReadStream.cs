using Microsoft.Win32.SafeHandles;

namespace Tarmac.Embedded;

/// <summary>
/// One object's body inside a segment: a bounded, seekable, read-only view over the segment's shared handle
/// (positional reads, so readers share the handle without a file open each and without disturbing each other).
/// </summary>
internal sealed class SegmentReadStream(SafeFileHandle handle, long start, int length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var left = length - _position;
        if (left <= 0 || buffer.IsEmpty) return 0;
        var n = RandomAccess.Read(handle, buffer[..(int)Math.Min(buffer.Length, left)], start + _position);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Bodies are small and the segment is fresh in the page cache: a positional read answers at once, and a sync handle's
    // ReadAsync would only hop to the thread pool to do the same.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
