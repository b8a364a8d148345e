using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace Tarmac.Embedded;

/// <summary>
/// The byte-level first stage of the bulk load. It proves a file is "plain" CSV — no quote characters,
/// no NUL bytes, valid UTF-8, one line ending style, every data line with the header's field count, no
/// blank lines — and copies it with each line prefixed by its 1-based line number and a flag saying whether
/// every INTEGER and FLOAT field of the line is in a canonical spelling (<see cref="CanonicalNumbers"/>). On a
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
    /// <param name="Records">Data lines written.</param>
    internal sealed record Result(Core.Validation.CsvHeader Header, long Records);

    /// <summary>
    /// Copies <paramref name="input"/> to <paramref name="outputPath"/> with line numbers and canonical-number flags, or returns
    /// null (and deletes the output) when the file is not plain or <paramref name="resolveHeader"/> declines its header.
    /// </summary>
    public static async Task<Result?> TryRewriteAsync(Stream input, string outputPath, byte delimiter,
        Func<List<string>, Core.Validation.CsvHeader?> resolveHeader, CancellationToken ct)
    {
        var inBuf = ArrayPool<byte>.Shared.Rent(BufferSize + MaxLineBytes);
        Result? result = null;
        try
        {
            // A background load, not a request: plain synchronous writes to a local temp file are the fastest.
            using var output = new FileStream(outputPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            var state = new State(output, delimiter, resolveHeader);
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
            if (result is null) File.Delete(outputPath);
        }
    }

    private enum Check : byte { None, Integer, Float }

    private sealed class State(FileStream output, byte delimiter, Func<List<string>, Core.Validation.CsvHeader?> resolveHeader)
    {
        private readonly byte[] _out = new byte[BufferSize + MaxLineBytes + 64];
        private int _outPos;
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
                        _ => Check.None,
                    })];
                    // A line is split only as far as its last numeric field: the fields after it need no look.
                    _checks = _checks[..(Array.FindLastIndex(_checks, c => c != Check.None) + 1)];
                    continue;
                }
                if (l.Count(delimiter) != _commas) return -1;
                if (_out.Length - _outPos < l.Length + 32)
                {
                    output.Write(_out, 0, _outPos);
                    _outPos = 0;
                }
                Utf8Formatter.TryFormat(_line, _out.AsSpan(_outPos), out var w);
                _outPos += w;
                _out[_outPos++] = delimiter; // the line number is the record's first field, the flag its second
                _out[_outPos++] = NumbersCanonical(l) ? (byte)'1' : (byte)'0';
                _out[_outPos++] = delimiter;
                l.CopyTo(_out.AsSpan(_outPos));
                _outPos += l.Length;
                _out[_outPos++] = (byte)'\n';
            }
            return end;
        }

        /// <summary>Every INTEGER and FLOAT field of the line is empty (SQL decides NULLs) or canonical.</summary>
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
                    _ => true,
                };
                if (!ok) return false;
            }
            return true;
        }

        public Result? Finish()
        {
            if (_header is null || _line < 2) return null;
            output.Write(_out, 0, _outPos);
            return new Result(_header, _line - 1);
        }
    }
}
