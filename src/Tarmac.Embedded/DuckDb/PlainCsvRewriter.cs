using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace Tarmac.Embedded;

/// <summary>
/// The byte-level first stage of the bulk load. It proves a file is "plain" CSV — no quote characters,
/// no NUL bytes, valid UTF-8, one line ending style, every data line with the header's field count, no
/// blank lines — and copies it with each line prefixed by its 1-based line number and a flag saying whether
/// every INTEGER, FLOAT, DATE and TIMESTAMP field of the line is in a canonical spelling (<see cref="CanonicalNumbers"/>,
/// <see cref="CanonicalTimes"/>). Lines whose such fields are all canonical go to one file, the others to a second: DuckDB
/// reads the first with those columns typed (no VARCHAR copy of every value, no cast or check after the read), and the
/// C# validator decides the second. On a plain file every record is exactly one line and DuckDB's CSV reader splits it
/// exactly as the C# reader does, so DuckDB can parse it in parallel while the line numbers stay exact. No field is parsed
/// here: it is a vectorised scan for newlines, delimiters (the dataset's, one ASCII byte) and a few forbidden bytes, and a
/// look at the bytes of the numeric fields.
/// <para>
/// A large seekable file is rewritten in parts at once, one per core: the parts start after a newline, so each is whole
/// lines, and each part's first line number is known before it starts from a count of the newlines of the parts before it
/// (a memchr-speed pass). The rules are the same line by line, so the outcome does not depend on how the file was cut.
/// </para>
/// </summary>
internal static class PlainCsvRewriter
{
    private const int BufferSize = 1 << 20;
    // A longer line is an oversized record: the C# path rejects it with its line, so the bulk path declines the file.
    private const int MaxLineBytes = Core.Validation.CsvRecordReader.DefaultMaxRecordBytes;
    private static readonly SearchValues<byte> Forbidden = SearchValues.Create("\"\r\0"u8);

    /// <summary>What the scan found in a plain file, and where it wrote the lines.</summary>
    /// <param name="Header">The header, as the caller resolved it from the header line's names.</param>
    /// <param name="Records">Data lines written, to either kind of file.</param>
    /// <param name="Canonical">The files of lines whose checked fields are all canonical, one per part.</param>
    /// <param name="Suspects">The files of the other lines, one per part.</param>
    internal sealed record Result(Core.Validation.CsvHeader Header, long Records, IReadOnlyList<string> Canonical, IReadOnlyList<string> Suspects)
    {
        /// <summary>Every file written.</summary>
        public IEnumerable<string> Files => Canonical.Concat(Suspects);
    }

    /// <summary>
    /// Copies the data lines of the file <paramref name="open"/> opens with line numbers and canonical-value flags into
    /// files named from <paramref name="stem"/>, or returns null (having deleted them) when the file is not plain or
    /// <paramref name="resolveHeader"/> declines its header. A seekable file is cut into at most <paramref name="maxParts"/>
    /// parts of at least <paramref name="minPartBytes"/>, rewritten at once, each from its own stream.
    /// </summary>
    public static async Task<Result?> TryRewriteAsync(Func<CancellationToken, Task<Stream>> open, string stem, byte delimiter,
        Func<List<string>, Core.Validation.CsvHeader?> resolveHeader, int maxParts, long minPartBytes, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minPartBytes, 1);
        var files = new List<string>();
        Result? result = null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize + MaxLineBytes);
        try
        {
            await using var first = await open(ct);
            var (filled, headerEnd) = await ReadHeaderLineAsync(first, buffer, ct);
            if (headerEnd < 0 || Layout.From(buffer.AsSpan(0, headerEnd), delimiter, resolveHeader) is not { } layout) return null;

            var cuts = first.CanSeek ? await CutAsync(first, headerEnd, first.Length, maxParts, minPartBytes, ct) : null;
            if (cuts is null)
            {
                // One part, read on from where the header left the stream: the bytes after the header are already in the buffer.
                var part = new Part(layout, 2, Files(stem, 0, files));
                buffer.AsSpan(headerEnd, filled - headerEnd).CopyTo(buffer);
                var lines = await part.RunAsync(first, buffer, filled - headerEnd, long.MaxValue, ct);
                return result = lines < 1 ? null : new Result(layout.Header, lines, [part.CanonicalPath], [part.SuspectsPath]);
            }

            var parts = cuts.Length - 1;
            // The first line number of each part: the header's line, then the lines of every part before it.
            var counts = await Task.WhenAll(Enumerable.Range(0, parts - 1).Select(k => Task.Run(() => CountLinesAsync(open, cuts[k], cuts[k + 1], ct), ct)));
            var firstLines = new long[parts];
            firstLines[0] = 2;
            for (var k = 1; k < parts; k++) firstLines[k] = firstLines[k - 1] + counts[k - 1];
            var workers = Enumerable.Range(0, parts).Select(k => new Part(layout, firstLines[k], Files(stem, k, files))).ToArray();
            var written = await Task.WhenAll(workers.Select((w, k) => Task.Run(() => RunPartAsync(open, w, cuts[k], cuts[k + 1], ct), ct)));
            if (written.Any(n => n < 0)) return null;
            return result = new Result(layout.Header, written.Sum(), [.. workers.Select(w => w.CanonicalPath)], [.. workers.Select(w => w.SuspectsPath)]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (result is null)
                foreach (var f in files) File.Delete(f);
        }
    }

    /// <summary>The two files of part <paramref name="k"/>, noted in <paramref name="files"/> (to delete on failure) before they exist.</summary>
    private static (string Canonical, string Suspects) Files(string stem, int k, List<string> files)
    {
        var paths = ($"{stem}.{k}.csv", $"{stem}.{k}.suspects.csv");
        files.AddRange([paths.Item1, paths.Item2]);
        return paths;
    }

    /// <summary>
    /// Reads until the buffer holds the header line: returns the bytes read and the offset just after the header's newline,
    /// or -1 when there is none within a record's limit (a file of one line has no data; a longer line is not plain).
    /// </summary>
    private static async Task<(int Filled, int HeaderEnd)> ReadHeaderLineAsync(Stream s, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        while (true)
        {
            var nl = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
            if (nl >= 0) return (filled, nl + 1);
            if (filled > MaxLineBytes + 3) return (filled, -1);
            var n = await s.ReadAsync(buffer.AsMemory(filled, BufferSize), ct);
            if (n == 0) return (filled, -1);
            filled += n;
        }
    }

    /// <summary>
    /// Where the parts of the data lines [<paramref name="dataStart"/>, <paramref name="length"/>) begin, each just after a
    /// newline, with <paramref name="length"/> last; null when the file is too small to cut (or a cut finds no newline
    /// within a record's limit: such a file is not plain, and one part finds that out). The stream's position is kept.
    /// </summary>
    private static async Task<long[]?> CutAsync(Stream s, long dataStart, long length, int maxParts, long minPartBytes, CancellationToken ct)
    {
        var parts = (int)Math.Min(maxParts, (length - dataStart) / minPartBytes);
        if (parts < 2) return null;
        var cuts = new List<long> { dataStart };
        var probe = ArrayPool<byte>.Shared.Rent(MaxLineBytes + 2);
        var position = s.Position;
        try
        {
            for (var k = 1; k < parts; k++)
            {
                // A part begins after the first newline at or after its even share of the bytes.
                var at = dataStart + (length - dataStart) * k / parts;
                s.Position = at;
                var got = await s.ReadAtLeastAsync(probe.AsMemory(0, MaxLineBytes + 2), MaxLineBytes + 2, throwOnEndOfStream: false, ct);
                var nl = probe.AsSpan(0, got).IndexOf((byte)'\n');
                if (nl < 0 && got == MaxLineBytes + 2) return null;
                if (nl < 0) break; // the file's last line, unterminated: no later cut either
                var cut = at + nl + 1;
                if (cut < length && cut > cuts[^1]) cuts.Add(cut);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(probe);
            s.Position = position;
        }
        cuts.Add(length);
        return cuts.Count > 2 ? [.. cuts] : null;
    }

    /// <summary>The newlines in [<paramref name="from"/>, <paramref name="to"/>), a range of whole lines: its line count.</summary>
    private static async Task<long> CountLinesAsync(Func<CancellationToken, Task<Stream>> open, long from, long to, CancellationToken ct)
    {
        await using var s = await open(ct);
        s.Position = from;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long lines = 0;
            for (var left = to - from; left > 0;)
            {
                var n = await s.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, left)), ct);
                if (n == 0) throw new EndOfStreamException("The object ended before the size it had when it was cut.");
                lines += buffer.AsSpan(0, n).Count((byte)'\n');
                left -= n;
            }
            return lines;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<long> RunPartAsync(Func<CancellationToken, Task<Stream>> open, Part part, long from, long to, CancellationToken ct)
    {
        await using var s = await open(ct);
        s.Position = from;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize + MaxLineBytes);
        try
        {
            return await part.RunAsync(s, buffer, 0, to - from, ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private enum Check : byte { None, Integer, Float, Date, Timestamp }

    /// <summary>What the header line says about every data line: the header, its field count, the line ending, the checks.</summary>
    private sealed record Layout(Core.Validation.CsvHeader Header, byte Delimiter, int Delimiters, bool Crlf, Check[] Checks)
    {
        /// <summary>The layout of a header line (with its newline), or null when it is not plain or the caller declines it.</summary>
        public static Layout? From(ReadOnlySpan<byte> line, byte delimiter, Func<List<string>, Core.Validation.CsvHeader?> resolveHeader)
        {
            if (!Utf8.IsValid(line)) return null;
            if (line.StartsWith("\uFEFF"u8)) line = line[3..];
            line = line[..^1];
            var crlf = line.EndsWith((byte)'\r');
            if (crlf) line = line[..^1];
            if (line.Length == 0 || line.Length > MaxLineBytes || line.IndexOfAny(Forbidden) >= 0) return null;
            if (resolveHeader([.. Encoding.UTF8.GetString(line).Split((char)delimiter)]) is not { } header) return null;
            Check[] checks = [.. header.FileColumns.Select(c => c?.Type switch
            {
                Core.Datasets.ColumnType.Integer => Check.Integer,
                Core.Datasets.ColumnType.Float => Check.Float,
                Core.Datasets.ColumnType.Date => Check.Date,
                Core.Datasets.ColumnType.Timestamp => Check.Timestamp,
                _ => Check.None,
            })];
            // A line is split only as far as its last checked field: the fields after it need no look.
            return new Layout(header, delimiter, header.FieldCount - 1, crlf, checks[..(Array.FindLastIndex(checks, c => c != Check.None) + 1)]);
        }
    }

    /// <summary>One rewritten file and its write buffer.</summary>
    private sealed class Output(FileStream file)
    {
        private readonly byte[] _buffer = new byte[BufferSize + MaxLineBytes + 64];
        private int _pos;

        public void Write(long line, byte delimiter, bool canonical, ReadOnlySpan<byte> record)
        {
            if (_buffer.Length - _pos < record.Length + 32) Flush();
            Utf8Formatter.TryFormat(line, _buffer.AsSpan(_pos), out var w);
            _pos += w;
            _buffer[_pos++] = delimiter; // the line number is the record's first field, the flag its second
            _buffer[_pos++] = canonical ? (byte)'1' : (byte)'0';
            _buffer[_pos++] = delimiter;
            record.CopyTo(_buffer.AsSpan(_pos));
            _pos += record.Length;
            _buffer[_pos++] = (byte)'\n';
        }

        public void Flush()
        {
            file.Write(_buffer, 0, _pos);
            _pos = 0;
        }
    }

    /// <summary>A run of whole data lines, its first line numbered <c>firstLine</c>, and its two files.</summary>
    private sealed class Part(Layout layout, long firstLine, (string Canonical, string Suspects) paths)
    {
        private long _line = firstLine - 1;

        public string CanonicalPath => paths.Canonical;

        public string SuspectsPath => paths.Suspects;

        /// <summary>
        /// Rewrites the first <paramref name="filled"/> bytes of <paramref name="buffer"/> and then at most
        /// <paramref name="length"/> bytes of <paramref name="input"/>; returns the lines written, or -1 when they are not plain.
        /// </summary>
        public async Task<long> RunAsync(Stream input, byte[] buffer, int filled, long length, CancellationToken ct)
        {
            // A background load, not a request: plain synchronous writes to a local temp file are the fastest.
            using var canonicalFile = new FileStream(paths.Canonical, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            using var suspectsFile = new FileStream(paths.Suspects, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            Output canonical = new(canonicalFile), suspects = new(suspectsFile);
            var eof = false;
            while (!eof)
            {
                var n = length > 0 ? await input.ReadAsync(buffer.AsMemory(filled, (int)Math.Min(BufferSize, length)), ct) : 0;
                length -= n;
                eof = n == 0;
                filled += n;
                var consumed = Consume(buffer.AsSpan(0, filled), eof, canonical, suspects);
                if (consumed < 0) return -1;
                var leftover = filled - consumed;
                if (leftover > MaxLineBytes) return -1;
                buffer.AsSpan(consumed, leftover).CopyTo(buffer);
                filled = leftover;
            }
            canonical.Flush();
            suspects.Flush();
            return _line - (firstLine - 1);
        }

        /// <summary>Handles the complete lines of <paramref name="data"/>; returns the bytes consumed, or -1 when they are not plain.</summary>
        private int Consume(ReadOnlySpan<byte> data, bool eof, Output canonical, Output suspects)
        {
            var end = eof ? data.Length : data.LastIndexOf((byte)'\n') + 1;
            if (end == 0) return 0;
            var block = data[..end];
            // Lines end at '\n', an ASCII byte, so no character straddles the block's end.
            if (!Utf8.IsValid(block)) return -1;
            var start = 0;
            while (start < end)
            {
                var rest = block[start..];
                var nl = rest.IndexOf((byte)'\n');
                var terminated = nl >= 0;
                var l = terminated ? rest[..nl] : rest;
                start += terminated ? nl + 1 : rest.Length;
                _line++;
                if (layout.Crlf && (terminated || l.EndsWith((byte)'\r')))
                {
                    if (!l.EndsWith((byte)'\r')) return -1;
                    l = l[..^1];
                }
                if (l.Length == 0 || l.Length > MaxLineBytes || l.IndexOfAny(Forbidden) >= 0) return -1;
                if (l.Count(layout.Delimiter) != layout.Delimiters) return -1;
                var isCanonical = NumbersCanonical(l);
                (isCanonical ? canonical : suspects).Write(_line, layout.Delimiter, isCanonical, l);
            }
            return end;
        }

        /// <summary>Every INTEGER, FLOAT, DATE and TIMESTAMP field of the line is empty (SQL decides NULLs) or canonical.</summary>
        private bool NumbersCanonical(ReadOnlySpan<byte> line)
        {
            var checks = layout.Checks;
            for (var i = 0; i < checks.Length; i++)
            {
                var end = line.IndexOf(layout.Delimiter);
                var field = end < 0 ? line : line[..end];
                line = end < 0 ? [] : line[(end + 1)..];
                var ok = field.IsEmpty || checks[i] switch
                {
                    Check.Integer => CanonicalNumbers.IsInteger(field),
                    Check.Float => CanonicalNumbers.IsFloat(field),
                    Check.Date => CanonicalTimes.IsDate(field),
                    Check.Timestamp => CanonicalTimes.IsTimestamp(field),
                    _ => true,
                };
                if (!ok) return false;
            }
            return true;
        }
    }
}
