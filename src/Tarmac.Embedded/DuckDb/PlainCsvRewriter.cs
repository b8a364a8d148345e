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
/// C# validator decides the second. On a
/// plain file every record is exactly one line and DuckDB's CSV reader splits it exactly as the C# reader does,
/// so DuckDB can parse it in parallel while the line numbers stay exact. No field is parsed here: it is a
/// vectorised scan for newlines, delimiters (the dataset's, one ASCII byte) and a few forbidden bytes, and a
/// look at the bytes of the numeric fields.
/// </summary>
internal static class PlainCsvRewriter
{
    private const int BufferSize = 1 << 20;
    // A longer line is an oversized record: the C# path rejects it with its line, so the bulk path declines the file.
    private const int MaxLineBytes = Core.Validation.CsvRecordReader.DefaultMaxRecordBytes;
    private static readonly SearchValues<byte> Forbidden = SearchValues.Create("\"\r\0"u8);

    /// <summary>What the scan found in a plain file.</summary>
    /// <param name="Header">The header, as the caller resolved it from the header line's names.</param>
    /// <param name="Records">Data lines written, to either file.</param>
    internal sealed record Result(Core.Validation.CsvHeader Header, long Records);

    /// <summary>
    /// Copies the data lines of <paramref name="input"/> with line numbers and canonical-value flags, those whose checked
    /// fields are all canonical to <paramref name="canonicalPath"/> and the others to <paramref name="suspectsPath"/>, or returns null (and
    /// deletes both) when the file is not plain or <paramref name="resolveHeader"/> declines its header.
    /// </summary>
    public static async Task<Result?> TryRewriteAsync(Stream input, string canonicalPath, string suspectsPath, byte delimiter,
        Func<List<string>, Core.Validation.CsvHeader?> resolveHeader, CancellationToken ct)
    {
        var inBuf = ArrayPool<byte>.Shared.Rent(BufferSize + MaxLineBytes);
        Result? result = null;
        try
        {
            // A background load, not a request: plain synchronous writes to a local temp file are the fastest.
            using var canonical = new FileStream(canonicalPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            using var suspects = new FileStream(suspectsPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            var state = new State(new Output(canonical), new Output(suspects), delimiter, resolveHeader);
            var filled = 0;
            var eof = false;
            while (!eof)
            {
                var n = await input.ReadAsync(inBuf.AsMemory(filled, BufferSize), ct);
                eof = n == 0;
                filled += n;
                var consumed = state.Consume(inBuf.AsSpan(0, filled), eof);
                if (consumed < 0) return null;
                var leftover = filled - consumed;
                if (leftover > MaxLineBytes) return null;
                inBuf.AsSpan(consumed, leftover).CopyTo(inBuf);
                filled = leftover;
            }
            return result = state.Finish();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(inBuf);
            if (result is null)
            {
                File.Delete(canonicalPath);
                File.Delete(suspectsPath);
            }
        }
    }

    private enum Check : byte { None, Integer, Float, Date, Timestamp }

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

    private sealed class State(Output canonical, Output suspects, byte delimiter, Func<List<string>, Core.Validation.CsvHeader?> resolveHeader)
    {
        private long _line;
        private int _commas;
        private bool _crlf;
        private Core.Validation.CsvHeader? _header;
        private Check[] _checks = [];

        /// <summary>Handles the complete lines of <paramref name="data"/>; returns the bytes consumed, or -1 when the file is not plain.</summary>
        public int Consume(ReadOnlySpan<byte> data, bool eof)
        {
            var end = eof ? data.Length : data.LastIndexOf((byte)'\n') + 1;
            if (end == 0) return 0;
            var block = data[..end];
            // Lines end at '\n', an ASCII byte, so no character straddles the block's end.
            if (!Utf8.IsValid(block)) return -1;
            var start = _line == 0 && block.StartsWith("\uFEFF"u8) ? 3 : 0;
            while (start < end)
            {
                var rest = block[start..];
                var nl = rest.IndexOf((byte)'\n');
                var terminated = nl >= 0;
                var l = terminated ? rest[..nl] : rest;
                start += terminated ? nl + 1 : rest.Length;
                _line++;
                if (_line == 1) _crlf = l.EndsWith((byte)'\r');
                if (_crlf && (terminated || l.EndsWith((byte)'\r')))
                {
                    if (!l.EndsWith((byte)'\r')) return -1;
                    l = l[..^1];
                }
                if (l.Length == 0 || l.Length > MaxLineBytes || l.IndexOfAny(Forbidden) >= 0) return -1;
                if (_header is null)
                {
                    _header = resolveHeader([.. Encoding.UTF8.GetString(l).Split((char)delimiter)]);
                    if (_header is null) return -1;
                    _commas = _header.FieldCount - 1;
                    _checks = [.. _header.FileColumns.Select(c => c?.Type switch
                    {
                        Core.Datasets.ColumnType.Integer => Check.Integer,
                        Core.Datasets.ColumnType.Float => Check.Float,
                        Core.Datasets.ColumnType.Date => Check.Date,
                        Core.Datasets.ColumnType.Timestamp => Check.Timestamp,
                        _ => Check.None,
                    })];
                    // A line is split only as far as its last checked field: the fields after it need no look.
                    _checks = _checks[..(Array.FindLastIndex(_checks, c => c != Check.None) + 1)];
                    continue;
                }
                if (l.Count(delimiter) != _commas) return -1;
                var isCanonical = NumbersCanonical(l);
                (isCanonical ? canonical : suspects).Write(_line, delimiter, isCanonical, l);
            }
            return end;
        }

        /// <summary>Every INTEGER, FLOAT, DATE and TIMESTAMP field of the line is empty (SQL decides NULLs) or canonical.</summary>
        private bool NumbersCanonical(ReadOnlySpan<byte> line)
        {
            for (var i = 0; i < _checks.Length; i++)
            {
                var end = line.IndexOf(delimiter);
                var field = end < 0 ? line : line[..end];
                line = end < 0 ? [] : line[(end + 1)..];
                var ok = field.IsEmpty || _checks[i] switch
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

        public Result? Finish()
        {
            if (_header is null || _line < 2) return null;
            canonical.Flush();
            suspects.Flush();
            return new Result(_header, _line - 1);
        }
    }
}
