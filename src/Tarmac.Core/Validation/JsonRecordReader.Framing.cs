using System.Text.Json;

namespace Tarmac.Core.Validation;

public sealed partial class JsonRecordReader
{
    private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = 64 });
    private bool _inArray, _topDone;
    private long _nextIndex;

    /// <summary>The next non-blank NDJSON line; one over the limit is skipped to its end and reported.</summary>
    private async ValueTask<bool> NextLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_pos, Unread).IndexOf((byte)'\n');
            if (newline < 0 && !_eof && Unread <= MaxRecordBytes + 1)
            {
                await FillAsync(ct);
                continue;
            }
            if (newline < 0 && _eof && Unread == 0) return false;
            if (newline < 0 && !_eof)
            {
                Line = LineAt(_base + _pos);
                Malformed = $"the line is longer than the limit of {MaxRecordBytes} bytes for one record";
                Record = _buffer.AsMemory(_pos, Math.Min(256, Unread)).ToArray(); // a copy: the skip below reuses the buffer
                await SkipLineAsync(ct);
                return true;
            }
            var end = newline < 0 ? _len : _pos + newline;
            var record = _buffer.AsMemory(_pos, end - _pos);
            Line = LineAt(_base + _pos);
            _pos = newline < 0 ? _len : end + 1;
            if (record.Span.IndexOfAnyExcept(" \t\r"u8) < 0) continue; // a blank line is no record
            if (record.Length > MaxRecordBytes + 1 || (record.Length > MaxRecordBytes && !record.Span.EndsWith("\r"u8)))
            {
                Malformed = $"the line is longer than the limit of {MaxRecordBytes} bytes for one record";
                Record = record[..Math.Min(256, record.Length)];
                return true;
            }
            Record = record;
            return true;
        }
    }

    private async ValueTask SkipLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_pos, Unread).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                _pos += newline + 1;
                return;
            }
            CountLinesTo(_base + _len);
            _pos = _len;
            if (!await FillAsync(ct)) return;
        }
    }

    private enum Step { Record, NeedMore, End }

    /// <summary>The next element of the top-level array, or the lone top-level object.</summary>
    private async ValueTask<bool> NextValueAsync(CancellationToken ct)
    {
        while (true)
        {
            Step step;
            try
            {
                step = Frame();
            }
            catch (JsonException e)
            {
                // The reader state carries its position over every buffer, so the exception's line is the body's.
                return Fault($"the body is not valid JSON from here on ({e.Message.Split(" LineNumber:")[0]}); nothing after it was read", e.LineNumber + 1);
            }
            if (step == Step.Record) return true;
            if (step == Step.End) { _done = true; return false; }
            if (Unread > MaxRecordBytes)
                return Fault($"a record is longer than the limit of {MaxRecordBytes} bytes; nothing after it was read");
            await FillAsync(ct);
        }
    }

    /// <summary>Frames tokens of the buffered input; keeps the reader state of the last complete record or structural token.</summary>
    private Step Frame()
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(_pos, Unread), _eof, _state);
        while (true)
        {
            var before = reader.CurrentState;
            var consumedBefore = (int)reader.BytesConsumed;
            if (!reader.Read())
            {
                // In the final block the reader itself throws for a value left open, so false there is the end.
                Advance(ref reader);
                return _eof ? Step.End : Step.NeedMore;
            }
            if (_topDone) throw new JsonException("there is more after the top-level value; send one object, one array, or NDJSON");
            var depth = reader.CurrentDepth;
            if (!_inArray && depth == 0 && reader.TokenType == JsonTokenType.StartArray) { _inArray = true; continue; }
            if (_inArray && depth == 0 && reader.TokenType == JsonTokenType.EndArray) { _topDone = true; continue; }
            if (!_inArray && reader.TokenType != JsonTokenType.StartObject)
                throw new JsonException("the body must be a JSON object or an array of objects");

            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
            {
                _pos += consumedBefore;
                _state = before;
                return Step.NeedMore;
            }
            var end = (int)reader.BytesConsumed;
            Line = LineAt(_base + _pos + start);
            Index = _inArray ? _nextIndex++ : null;
            Record = _buffer.AsMemory(_pos + start, end - start);
            if (!_inArray) _topDone = true;
            Advance(ref reader);
            return Step.Record;
        }
    }

    private void Advance(ref Utf8JsonReader reader)
    {
        _pos += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    private bool Fault(string reason, long? line = null)
    {
        Line = line ?? LineAt(_base + _pos);
        Index = null;
        Malformed = reason;
        Record = default;
        _done = true;
        return true;
    }
}
