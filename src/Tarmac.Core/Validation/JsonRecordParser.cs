using System.Text;
using System.Text.Json;
using Tarmac.Core.Datasets;

namespace Tarmac.Core.Validation;

/// <summary>
/// Turns one JSON record (the bytes of one object) into a row of typed values by column name, with the rules a CSV field
/// follows: a string's text, a number's literal or <c>true</c>/<c>false</c> is parsed by <see cref="FieldParser"/> exactly
/// as the same text in a CSV field would be, and <c>null</c> is an empty field. Strict: an unknown field, a field given
/// twice, a nested object or array, or a missing REQUIRED column rejects the row, each named in its error.
/// </summary>
public sealed class JsonRecordParser
{
    private const int MaxValueLength = 200;
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };
    private readonly DatasetSchema _schema;
    private readonly Dictionary<string, ColumnSchema>.AlternateLookup<ReadOnlySpan<char>> _columns;
    private readonly bool[] _present;
    private char[] _chars = new char[256];

    /// <summary>A parser for records of <paramref name="schema"/>; reuse it for every record of an upload.</summary>
    public JsonRecordParser(DatasetSchema schema)
    {
        _schema = schema;
        _columns = Lookups.GetValue(schema, NewLookup).GetAlternateLookup<ReadOnlySpan<char>>();
        _present = new bool[schema.Columns.Count];
    }

    /// <summary>
    /// Parses <paramref name="json"/> into <paramref name="row"/> (by schema ordinal). On failure every fault found is added to
    /// <paramref name="result"/> under <paramref name="line"/> and <paramref name="index"/>, and the row is counted rejected once.
    /// </summary>
    /// <returns>True when the record is a valid row.</returns>
    public bool TryParse(ReadOnlySpan<byte> json, Span<FieldValue> row, long line, long? index, ValidationResult result)
    {
        for (var c = 0; c < row.Length; c++) row[c] = new FieldValue { IsNull = true };
        Array.Clear(_present);
        var faults = 0;
        void Fail(string? column, string? value, string reason)
        {
            if (faults++ == 0) result.RowsRejected++;
            result.AddError(new RowError(line, column, value, reason) { Index = index });
        }

        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Fail(null, Raw(json), $"expected a JSON object (one record), found {Describe(reader.TokenType)}");
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = Text(ref reader);
                reader.Read();
                if (!_columns.TryGetValue(name, out var column))
                {
                    Fail(CsvHeader.Printable(new string(name)), null, $"unknown field: dataset '{_schema.Name}' has no such column (columns: {_schema.ColumnList})");
                    reader.Skip();
                    continue;
                }
                if (_present[column.Ordinal])
                {
                    Fail(column.Name, null, "the field appears more than once in the record");
                    reader.Skip();
                    continue;
                }
                _present[column.Ordinal] = true;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    Fail(column.Name, null, $"must be a single value, not {Describe(reader.TokenType)}");
                    reader.Skip();
                    continue;
                }
                var text = reader.TokenType switch
                {
                    JsonTokenType.Null => default,
                    JsonTokenType.True => "true",
                    JsonTokenType.False => "false",
                    _ => Text(ref reader),
                };
                if (FieldParser.TryParse(text, column, ref row[column.Ordinal]) is { } reason) Fail(column.Name, Truncate(text), reason);
            }
            while (reader.Read()) { } // anything after the object's end is an error of the reader's own
        }
        catch (JsonException e)
        {
            Fail(null, Raw(json), $"not valid JSON: {Describe(e)}");
            return false;
        }
        catch (InvalidOperationException)
        {
            // Only transcoding a string can throw this: its bytes are not UTF-8 (ingest refuses such bodies; this is the backstop).
            Fail(null, null, "not valid UTF-8 text");
            return false;
        }
        foreach (var column in _schema.Columns)
            if (column.Required && !_present[column.Ordinal]) Fail(column.Name, null, "a value is required (the column is REQUIRED); the field is missing");
        return faults == 0;
    }

    // One lookup per schema, not per upload: a takeoff is an upload of one record, thousands a second.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DatasetSchema, Dictionary<string, ColumnSchema>> Lookups = new();

    // Names match as CSV header names do: case-insensitively. Read-only once built, so shared across threads.
    private static Dictionary<string, ColumnSchema> NewLookup(DatasetSchema schema) =>
        schema.Columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The unescaped text of the current string, property name or number; valid until the next call.</summary>
    private ReadOnlySpan<char> Text(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan; // a record is one contiguous span: never a sequence
        if (_chars.Length < raw.Length) _chars = new char[Math.Max(raw.Length, _chars.Length * 2)];
        if (reader.TokenType == JsonTokenType.Number) return _chars.AsSpan(0, Encoding.ASCII.GetChars(raw, _chars));
        return _chars.AsSpan(0, reader.CopyString(_chars));
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    /// <summary>The reader's message without its position suffix (relative to the record, not the file), and the byte instead.</summary>
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        return e.BytePositionInLine is { } b ? $"{message.TrimEnd()} (at byte {b + 1} of the record)" : message;
    }

    private static string Raw(ReadOnlySpan<byte> json)
    {
        var head = json[..Math.Min(json.Length, MaxValueLength * 3)];
        return Truncate(Encoding.UTF8.GetString(head).AsSpan().TrimEnd(), json.Length > head.Length);
    }

    private static string Truncate(ReadOnlySpan<char> value, bool cut = false) =>
        value.Length <= MaxValueLength ? (cut ? string.Concat(value, "…") : new string(value)) : string.Concat(value[..MaxValueLength], "…");
}
