using System.Text.Json;

namespace Tarmac.Ingest;

/// <summary>
/// The framing check of an <c>application/json</c> body while it streams: it must be one JSON object or one array (of
/// records, at least one), syntactically valid to its end, with no record over the record limit. Nothing after a syntax
/// error can be split into records, so such a body is refused whole; the records' fields are the process step's to check.
/// Holds at most one unfinished token (at most the record limit) between reads.
/// </summary>
internal sealed class JsonBodyFraming(int maxRecordBytes) : IBodyFraming
{
    private byte[] _carry = new byte[1024];
    private int _carryLength;
    private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = 64 });
    private long _offset, _recordStart, _records;
    private bool _started, _any, _inArray, _topDone;

    public void Feed(ReadOnlySpan<byte> chunk) => Read(chunk, final: false);

    public void Finish()
    {
        if (!_any && _carry.AsSpan(0, _carryLength).IndexOfAnyExcept(" \t\r\n"u8) < 0)
            throw Invalid("No JSON", "The body holds no JSON value. Send one JSON object, or an array of objects.");
        Read([], final: true);
        if (_inArray && _records == 0)
            throw Invalid("No records", "The array is empty: there is no record to load. Send at least one object.");
    }

    private void Read(ReadOnlySpan<byte> chunk, bool final)
    {
        var data = chunk;
        if (_carryLength > 0 || (!_started && chunk.Length < 3 && !final))
        {
            if (_carry.Length < _carryLength + chunk.Length) Array.Resize(ref _carry, Math.Max(_carry.Length * 2, _carryLength + chunk.Length));
            chunk.CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += chunk.Length;
            data = _carry.AsSpan(0, _carryLength);
            if (!_started && data.Length < 3 && !final) return; // too little to tell a byte order mark from JSON yet
        }
        if (!_started)
        {
            _started = true;
            if (data.StartsWith("\uFEFF"u8)) { data = data[3..]; _offset = 3; } // RFC 8259 §8.1: a parser may ignore a BOM
        }
        var reader = new Utf8JsonReader(data, final, _state);
        try
        {
            while (reader.Read()) Token(ref reader);
        }
        catch (JsonException e)
        {
            throw Invalid("Not valid JSON",
                $"The body is not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message.Split(" LineNumber:")[0].TrimEnd()} " +
                "Send one JSON object or an array of objects (Content-Type: application/json), or one object per line (application/x-ndjson).");
        }
        _state = reader.CurrentState;
        var consumed = (int)reader.BytesConsumed;
        _offset += consumed;
        var rest = data[consumed..];
        // An unfinished token counts toward the record it belongs to: no carry ever outgrows the record limit.
        if ((_any && !_topDone && _offset + rest.Length - _recordStart > maxRecordBytes) || rest.Length > maxRecordBytes) throw TooLong();
        if (_carry.Length < rest.Length) Array.Resize(ref _carry, rest.Length); // rest is the chunk's tail here, not the carry
        rest.CopyTo(_carry); // may overlap when data is the carry itself: CopyTo moves like memmove
        _carryLength = rest.Length;
    }

    private void Token(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        var type = reader.TokenType;
        var end = _offset + reader.BytesConsumed;
        if (!_any)
        {
            _any = true;
            _inArray = type == JsonTokenType.StartArray;
            if (!_inArray && type != JsonTokenType.StartObject)
                throw Invalid("Not a JSON record", $"The body is {Describe(type)}, not a JSON object or an array of objects. Send the record as an object, e.g. {{\"id\": 1, ...}}.");
            _recordStart = _inArray ? end : _offset + reader.TokenStartIndex;
            return;
        }
        if (_inArray && depth == 0)
        {
            _topDone = true; // the array's closing bracket: the gap before it belongs to no record
            return;
        }
        // A record is what follows the array's bracket or the previous record's comma (as process frames it), or the lone object.
        if (end - _recordStart > maxRecordBytes) throw TooLong();
        var recordEnds = _inArray ? depth == 1 && type is not (JsonTokenType.StartObject or JsonTokenType.StartArray) : depth == 0;
        if (!recordEnds) return;
        _records++;
        _recordStart = end;
        if (!_inArray) _topDone = true;
    }

    private UploadRejectedException TooLong() => Invalid("Record too large", _inArray
        ? $"The record at array index {_records} is longer than the limit of {maxRecordBytes} bytes for one record."
        : $"The JSON object is longer than the limit of {maxRecordBytes} bytes for one record.");

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.String => "a JSON string",
        JsonTokenType.Number => "a JSON number",
        JsonTokenType.True or JsonTokenType.False => "a JSON boolean",
        JsonTokenType.Null => "JSON null",
        _ => "not a JSON value",
    };

    private static UploadRejectedException Invalid(string title, string detail) => new(UploadRefusal.Invalid, title, detail);
}
