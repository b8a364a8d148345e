using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace Tarmac.Embedded;

/// <summary>
/// The byte-level first stage of the bulk load. It proves a file is "plain" CSV — no quote characters,
/// no NUL bytes, valid UTF-8, one line ending style, every data line with the header's field count, no
/// blank lines — and copies it with each line prefixed by its 1-based line number. On a plain file every
/// record is exactly one line and DuckDB's CSV reader splits it exactly as the C# reader does, so DuckDB
/// can parse it in parallel while the line numbers stay exact. No field is parsed here: it is a vectorised
/// scan for newlines, delimiters (the dataset's, one ASCII byte) and a few forbidden bytes.
/// </summary>
internal static class PlainCsvRewriter
{
    private const int BufferSize = 1 << 20;
    // A longer line is an oversized record: the C# path rejects it with its line, so the bulk path declines the file.
    private const int MaxLineBytes = Core.Validation.CsvRecordReader.DefaultMaxRecordBytes;
    private static readonly SearchValues<byte> Forbidden = SearchValues.Create("\"\r\0"u8);

    /// <summary>What the scan found in a plain file.</summary>
    /// <param name="HeaderNames">The header's names, split on the delimiter.</param>
    /// <param name="Records">Data lines written.</param>
    internal sealed record Result(List<string> HeaderNames, long Records);

    /// <summary>Copies <paramref name="input"/> to <paramref name="outputPath"/> with line numbers, or returns null (and deletes the output) when the file is not plain.</summary>
    public static async Task<Result?> TryRewriteAsync(Stream input, string outputPath, byte delimiter, CancellationToken ct)
    {
        var inBuf = ArrayPool<byte>.Shared.Rent(BufferSize + MaxLineBytes);
        Result? result = null;
        try
        {
            // A background load, not a request: plain synchronous writes to a local temp file are the fastest.
            using var output = new FileStream(outputPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            var state = new State(output, delimiter);
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

    private sealed class State(FileStream output, byte delimiter)
    {
        private readonly byte[] _out = new byte[BufferSize + MaxLineBytes + 64];
        private int _outPos;
        private long _line;
        private int _commas;
        private bool _crlf;
        private List<string>? _header;

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
                    _header = [.. Encoding.UTF8.GetString(l).Split((char)delimiter)];
                    _commas = _header.Count - 1;
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
                _out[_outPos++] = delimiter; // the line number is the record's first field
                l.CopyTo(_out.AsSpan(_outPos));
                _outPos += l.Length;
                _out[_outPos++] = (byte)'\n';
            }
            return end;
        }

        public Result? Finish()
        {
            if (_header is null || _line < 2) return null;
            output.Write(_out, 0, _outPos);
            return new Result(_header, _line - 1);
        }
    }
}
