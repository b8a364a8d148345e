using System.Text.Json;

namespace Tarmac.Ingest;

/// <summary>
/// The framing check of an <c>application/x-ndjson</c> body while it streams: its first non-blank line must be one complete
/// JSON object, as a CSV's header line is checked, so a body that is not NDJSON at all is refused at once. Every later line
/// is a record of its own, checked by the process step: a bad one is a row error with its line, and the rest still load.
/// </summary>
internal sealed class NdjsonBodyFraming(int maxRecordBytes) : IBodyFraming
{
    private byte[] _line = new byte[1024];
    private int _lineLength;
    private long _lineNumber = 1;
    private bool _checked;

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        while (!_checked && !chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            var part = newline < 0 ? chunk : chunk[..newline];
            Append(part);
            if (newline < 0) return;
            chunk = chunk[(newline + 1)..];
            if (IsBlank()) { _lineLength = 0; _lineNumber++; continue; }
            Check();
        }
    }

    public void Finish()
    {
        if (_checked) return;
        if (IsBlank()) throw Invalid("No records", "The body has no record: send one JSON object per line.");
        Check();
    }

    private void Append(ReadOnlySpan<byte> part)
    {
        if (_lineLength + part.Length > maxRecordBytes + 1)
            throw Invalid("Record too large", $"Line {_lineNumber}, the first record, is longer than the limit of {maxRecordBytes} bytes for one record.");
        if (_line.Length < _lineLength + part.Length) Array.Resize(ref _line, Math.Max(_line.Length * 2, _lineLength + part.Length));
        part.CopyTo(_line.AsSpan(_lineLength));
        _lineLength += part.Length;
    }

    private bool IsBlank() => Record().IndexOfAnyExcept(" \t\r"u8) < 0;

    private ReadOnlySpan<byte> Record()
    {
        var line = _line.AsSpan(0, _lineLength);
        return _lineNumber == 1 && line.StartsWith("\uFEFF"u8) ? line[3..] : line; // RFC 8259 §8.1: a parser may ignore a BOM
    }

    private void Check()
    {
        _checked = true;
        var reader = new Utf8JsonReader(Record(), new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Invalid("Not NDJSON", $"Line {_lineNumber}, the first record, is not a JSON object. Send one JSON object per line, e.g. {{\"id\": 1, ...}}.");
            reader.Skip();
            while (reader.Read()) { } // the reader refuses anything after the object
        }
        catch (JsonException e)
        {
            throw Invalid("Not NDJSON",
                $"Line {_lineNumber}, the first record, is not valid JSON (byte {e.BytePositionInLine + 1}: {e.Message.Split(" LineNumber:")[0].TrimEnd()}). " +
                "Send one JSON object per line (Content-Type: application/x-ndjson), or one object or array as application/json.");
        }
    }

    private static UploadRejectedException Invalid(string title, string detail) => new(UploadRefusal.Invalid, title, detail);
}
