using System.Text.Json;
using Tarmac.Core.Uploads;

namespace Tarmac.Core.Validation;

/// <summary>
/// Reads the records of a JSON upload from a stream through one reused buffer: NDJSON line by line (blank lines are no
/// record), or a JSON body as its one top-level object or each element of its top-level array. Like
/// <see cref="CsvRecordReader"/> it never throws on bad input: a line over <see cref="MaxRecordBytes"/> is a record with
/// <see cref="Malformed"/> set and reading resumes at the next line; a JSON body whose structure breaks (which ingest refuses,
/// so only a backstop) ends with one malformed record, since nothing after a syntax error can be framed.
/// </summary>
public sealed partial class JsonRecordReader
{
    /// <summary>Default limit on one record: 1 MiB of UTF-8, as for a CSV record.</summary>
    public const int DefaultMaxRecordBytes = CsvRecordReader.DefaultMaxRecordBytes;

    private readonly Stream _stream;
    private readonly bool _ndjson;
    private byte[] _buffer;
    private int _pos, _len;
    private long _base, _countedTo, _lineAtCounted = 1;
    private bool _eof, _started, _done;

    /// <summary>Reads records of <paramref name="format"/> (<see cref="UploadFormat.Json"/> or <see cref="UploadFormat.Ndjson"/>).</summary>
    public JsonRecordReader(Stream stream, UploadFormat format, int maxRecordBytes = DefaultMaxRecordBytes)
    {
        if (format == UploadFormat.Csv) throw new ArgumentException("CSV is read by CsvRecordReader.", nameof(format));
        _stream = stream;
        _ndjson = format == UploadFormat.Ndjson;
        MaxRecordBytes = maxRecordBytes;
        // A takeoff is one small record: size the buffer to the object, so thousands of small loads don't each take 64 KiB.
        _buffer = new byte[stream.CanSeek ? (int)Math.Clamp(stream.Length + 16, 1024, 1 << 16) : 1 << 16];
    }

    /// <summary>The record size limit in UTF-8 bytes.</summary>
    public int MaxRecordBytes { get; }

    /// <summary>1-based line of the body the current record starts on.</summary>
    public long Line { get; private set; }

    /// <summary>0-based position of the current record in the top-level array; null for NDJSON and a lone object.</summary>
    public long? Index { get; private set; }

    /// <summary>The current record's bytes; valid until the next <see cref="ReadAsync"/>.</summary>
    public ReadOnlyMemory<byte> Record { get; private set; }

    /// <summary>Why the current record could not be framed, or null.</summary>
    public string? Malformed { get; private set; }

    /// <summary>Advances to the next record; false at the end of the input.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken ct)
    {
        if (_done) return false;
        if (!_started)
        {
            _started = true;
            while (_len < 3 && await FillAsync(ct)) { }
            if (_buffer.AsSpan(0, _len).StartsWith("\uFEFF"u8)) _pos = 3; // RFC 8259 §8.1: a parser may ignore a BOM
        }
        Malformed = null;
        Index = null;
        Record = default;
        return _ndjson ? await NextLineAsync(ct) : await NextValueAsync(ct);
    }

    /// <summary>Bytes read but not yet framed into records.</summary>
    private int Unread => _len - _pos;

    /// <summary>Reads more input after the unread bytes, moving them to the front or growing the buffer as needed.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_eof) return false;
        if (_pos > 0)
        {
            CountLinesTo(_base + _pos);
            _buffer.AsSpan(_pos, _len - _pos).CopyTo(_buffer);
            _len -= _pos;
            _base += _pos;
            _pos = 0;
        }
        // Callers never ask for more while over MaxRecordBytes are unread, so the largest buffer always has room left.
        if (_len == _buffer.Length) Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, MaxRecordBytes + 1024L));
        var n = await _stream.ReadAsync(_buffer.AsMemory(_len), ct);
        _len += n;
        _eof = n == 0;
        return n > 0;
    }

    /// <summary>The line the byte at absolute offset <paramref name="offset"/> is on (offsets must not go backwards).</summary>
    private long LineAt(long offset)
    {
        CountLinesTo(offset);
        return _lineAtCounted;
    }

    private void CountLinesTo(long offset)
    {
        if (offset <= _countedTo) return;
        _lineAtCounted += _buffer.AsSpan((int)(_countedTo - _base), (int)(offset - _countedTo)).Count((byte)'\n');
        _countedTo = offset;
    }
}
