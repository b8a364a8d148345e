namespace Tarmac.Core.Validation;

/// <summary>
/// A strict RFC 4180 record reader: one fixed delimiter (never guessed), <c>"</c> as the only quote, a doubled quote as
/// the only escape, no comment lines, records ending at LF, CRLF or CR. Unlike a general-purpose reader it never throws on
/// bad CSV: a malformed record (a character after a closing quote, a quote inside an unquoted field, an unclosed quote, a
/// record over <see cref="MaxRecordBytes"/>) is returned as a record with <see cref="Malformed"/> set and the line it starts
/// on, and reading resumes with the next record. That is what lets every record of a file be counted as loaded or rejected.
/// </summary>
/// <remarks>
/// Sylvan.Data.Csv (used before) cannot do this: after a <c>CsvFormatException</c> every later <c>Read</c> throws
/// "A previous call to Read encountered an error and reading cannot continue", so one bad record lost the rest of the file.
/// </remarks>
public sealed class CsvRecordReader
{
    /// <summary>Default limit on one record: 1 MiB of UTF-8, quotes included, line ending excluded.</summary>
    public const int DefaultMaxRecordBytes = 1 << 20;

    /// <summary>At most this many characters of a record's raw text are kept, for error messages.</summary>
    public const int RawPrefixLength = 256;

    private const int MaxBufferSize = 1 << 16;
    private readonly TextReader _text;
    private readonly char _delimiter;
    private readonly char[] _buffer;
    private readonly char[] _raw = new char[RawPrefixLength];
    private char[] _chars = new char[1024];
    private int[] _ends = new int[16];
    private int _bufferPos, _bufferLen, _charCount, _rawCount;
    private long _physicalLine = 1, _recordBytes;
    private bool _eof, _lastWasCr, _atStart = true, _rawBlank, _tooLarge;
    private State _state;

    /// <summary>Reads records from <paramref name="text"/>; a leading byte order mark is skipped.</summary>
    /// <param name="text">The CSV text.</param>
    /// <param name="delimiter">The one field delimiter.</param>
    /// <param name="maxRecordBytes">The record size limit in UTF-8 bytes.</param>
    /// <param name="bufferChars">
    /// Characters read at a time, at most 64K. A caller that knows the text is short says so: a 64K-char buffer is 128 KB,
    /// a large-object-heap allocation, and one per single-row takeoff drove the server's gen-2 collections.
    /// </param>
    public CsvRecordReader(TextReader text, char delimiter = ',', int maxRecordBytes = DefaultMaxRecordBytes, int bufferChars = MaxBufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferChars, 1);
        _buffer = new char[Math.Min(bufferChars, MaxBufferSize)];
        if (delimiter is '"' or '\r' or '\n') throw new ArgumentException("A delimiter cannot be a quote or a line break.", nameof(delimiter));
        _text = text;
        _delimiter = delimiter;
        MaxRecordBytes = maxRecordBytes;
    }

    private enum State { FieldStart, Unquoted, Quoted, QuoteInQuoted, Skip }

    /// <summary>The record size limit in UTF-8 bytes.</summary>
    public int MaxRecordBytes { get; }

    /// <summary>1-based line of the file the current record starts on.</summary>
    public long Line { get; private set; }

    /// <summary>Number of fields of the current record (0 for a malformed one).</summary>
    public int FieldCount { get; private set; }

    /// <summary>Why the current record is not valid CSV, or null.</summary>
    public string? Malformed { get; private set; }

    /// <summary>The record holds nothing but spaces and tabs (or nothing at all), and no quote.</summary>
    public bool IsBlank => _rawBlank && Malformed is null;

    /// <summary>The first <see cref="RawPrefixLength"/> characters of the record as written, without its line ending.</summary>
    public ReadOnlySpan<char> RawPrefix => _raw.AsSpan(0, _rawCount);

    /// <summary>Whether <see cref="RawPrefix"/> is the whole record.</summary>
    public bool RawComplete { get; private set; }

    /// <summary>The unquoted text of field <paramref name="index"/> of the current record.</summary>
    public ReadOnlySpan<char> Field(int index)
    {
        var start = index == 0 ? 0 : _ends[index - 1];
        return _chars.AsSpan(start, _ends[index] - start);
    }

    /// <summary>Advances to the next record; false at the end of the input.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken ct)
    {
        BeginRecord();
        var any = false;
        while (true)
        {
            if (_bufferPos == _bufferLen)
            {
                if (_eof || !await FillAsync(ct)) return any && EndAtEof();
            }
            var c = _buffer[_bufferPos++];
            var wasCr = _lastWasCr;
            _lastWasCr = c == '\r';
            if (c == '\n' && wasCr)
            {
                // The LF of a CRLF: its CR ended the previous record, or (inside quotes) already counted the line.
                if (!any) continue;
            }
            else if (c is '\n' or '\r')
            {
                _physicalLine++;
                if (_state != State.Quoted) return EndRecord();
            }
            any = true;
            Count(c);
            Step(c);
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        _bufferLen = await _text.ReadAsync(_buffer.AsMemory(), ct);
        _bufferPos = 0;
        if (_atStart && _bufferLen > 0)
        {
            _atStart = false;
            if (_buffer[0] == '\uFEFF') _bufferPos = 1;
        }
        _eof = _bufferLen == 0;
        return _bufferPos < _bufferLen || (!_eof && await FillAsync(ct));
    }

    private void BeginRecord()
    {
        Line = _physicalLine;
        FieldCount = 0;
        Malformed = null;
        _charCount = _rawCount = 0;
        _recordBytes = 0;
        _rawBlank = true;
        _tooLarge = false;
        RawComplete = true;
        _state = State.FieldStart;
    }

    private void Count(char c)
    {
        if (_rawCount < RawPrefixLength) _raw[_rawCount++] = c;
        else RawComplete = false;
        if (c is not (' ' or '\t')) _rawBlank = false;
        // UTF-8 length: a surrogate pair is 4 bytes, 2 per half.
        _recordBytes += c < 0x80 ? 1 : c < 0x800 || char.IsSurrogate(c) ? 2 : 3;
        if (_recordBytes > MaxRecordBytes && !_tooLarge && Malformed is null)
        {
            _tooLarge = true;
            Malformed = $"the record is longer than the limit of {MaxRecordBytes} bytes";
        }
    }

    private void Step(char c)
    {
        switch (_state)
        {
            case State.FieldStart:
                if (c == '"') _state = State.Quoted;
                else if (c == _delimiter) EndField();
                else { Append(c); _state = State.Unquoted; }
                break;
            case State.Unquoted:
                if (c == _delimiter) { EndField(); _state = State.FieldStart; }
                else if (c == '"') Fail($"field {FieldCount + 1} has a quote inside an unquoted value (quote the whole field and double each quote in it)");
                else Append(c);
                break;
            case State.Quoted:
                if (c == '"') _state = State.QuoteInQuoted;
                else Append(c);
                break;
            case State.QuoteInQuoted:
                if (c == '"') { Append('"'); _state = State.Quoted; }
                else if (c == _delimiter) { EndField(); _state = State.FieldStart; }
                else Fail($"field {FieldCount + 1} has a character after its closing quote (a quote inside a quoted field must be doubled)");
                break;
            case State.Skip:
                break;
        }
    }

    private void Fail(string reason)
    {
        Malformed ??= reason;
        _state = State.Skip;
    }

    private void Append(char c)
    {
        if (_tooLarge || Malformed is not null) return;
        if (_charCount == _chars.Length) Array.Resize(ref _chars, _chars.Length * 2);
        _chars[_charCount++] = c;
    }

    private void EndField()
    {
        if (Malformed is not null) return;
        if (FieldCount == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        _ends[FieldCount++] = _charCount;
    }

    private bool EndRecord()
    {
        if (_state != State.Skip) EndField();
        if (Malformed is not null) FieldCount = 0;
        return true;
    }

    private bool EndAtEof()
    {
        if (_state == State.Quoted) Fail("a quoted field is not closed: its closing quote is missing before the end of the file");
        return EndRecord();
    }
}
