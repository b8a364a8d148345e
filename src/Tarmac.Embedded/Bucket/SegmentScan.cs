using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Tarmac.Embedded;

/// <summary>
/// Reads a segment file from the start and reports its whole records. Bytes that are not a whole record are skipped up to
/// the next whole record (damage in the middle: the records after it were acknowledged and are kept); bytes after the
/// last whole record are the torn tail of an append that was never acknowledged (a crash mid-write), which the caller
/// truncates. The file is read through one window, so memory does not grow with the segment.
/// </summary>
internal static class SegmentScan
{
    private const int Window = 1 << 20;

    /// <summary>The outcome of a scan.</summary>
    /// <param name="Salt">The file's salt, or null when the file has no valid header (then it holds nothing).</param>
    /// <param name="Records">Whole records and their offsets in the file, in file order.</param>
    /// <param name="ValidEnd">Where the last whole record ends: everything after it is a torn tail.</param>
    /// <param name="DamagedBytes">Bytes skipped between whole records (not counting the tail).</param>
    public sealed record Result(byte[]? Salt, IReadOnlyList<(long Offset, ParsedRecord Record)> Records, long ValidEnd, long DamagedBytes);

    /// <summary>Scans the file behind <paramref name="handle"/>.</summary>
    public static Result Run(SafeFileHandle handle)
    {
        var fileLength = RandomAccess.GetLength(handle);
        var head = new byte[SegmentRecord.FileHeaderLength];
        if (fileLength < head.Length || RandomAccess.Read(handle, head, 0) < head.Length || SegmentRecord.SaltOf(head) is not { } salt)
            return new Result(null, [], 0, 0);

        var records = new List<(long, ParsedRecord)>();
        var buffer = ArrayPool<byte>.Shared.Rent(Window);
        try
        {
            long windowStart = head.Length, validEnd = head.Length, damaged = 0;
            var windowLength = Fill(handle, buffer, windowStart, fileLength);
            var at = 0; // position inside the window
            while (windowStart + at < fileLength)
            {
                var result = SegmentRecord.TryParse(buffer.AsSpan(at, windowLength - at), salt, out var record, out var needed);
                if (result == ParseResult.NeedMore && windowStart + at + needed <= fileLength)
                {
                    // The record goes on past the window but not past the file: slide the window to it (growing it if needed).
                    windowStart += at;
                    at = 0;
                    if (needed > buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(needed);
                    }
                    windowLength = Fill(handle, buffer, windowStart, fileLength);
                    continue;
                }
                if (result == ParseResult.Whole)
                {
                    var offset = windowStart + at;
                    if (offset > validEnd) damaged += offset - validEnd;
                    records.Add((offset, record));
                    at += record.Length;
                    validEnd = offset + record.Length;
                    continue;
                }
                // Not a record here (or one cut short by the end of the file): look for the next one.
                var next = FindNextMagic(buffer.AsSpan(at + 1, Math.Max(0, windowLength - at - 1)));
                if (next >= 0) { at += 1 + next; continue; }
                if (windowStart + windowLength >= fileLength) break;
                // Keep the last few bytes: a magic may straddle the window's end.
                windowStart += Math.Max(at + 1, windowLength - 3);
                at = 0;
                windowLength = Fill(handle, buffer, windowStart, fileLength);
            }
            return new Result(salt, records, validEnd, damaged);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int FindNextMagic(ReadOnlySpan<byte> bytes) => bytes.IndexOf("TSGR"u8);

    private static int Fill(SafeFileHandle handle, byte[] buffer, long from, long fileLength)
    {
        var want = (int)Math.Min(buffer.Length, fileLength - from);
        var read = 0;
        while (read < want)
        {
            var n = RandomAccess.Read(handle, buffer.AsSpan(read, want - read), from + read);
            if (n == 0) break;
            read += n;
        }
        return read;
    }
}
