using System.Text;
using Tarmac.Core.Datasets;

namespace Tarmac.Core.Validation;

/// <summary>
/// Streams a CSV file, validates every row against a dataset's schema, hands accepted rows to a sink
/// and records why the others were rejected, with the file line each starts on.
/// </summary>
public static class CsvValidator
{
    private const int MaxValueLength = 200;

    /// <summary>Validates <paramref name="csv"/> (UTF-8) and appends accepted rows to <paramref name="sink"/>.</summary>
    /// <remarks>
    /// The file is read as strict RFC 4180 with the dataset's delimiter (<see cref="DatasetOptions.Delimiter"/>) and records of at most
    /// <see cref="CsvRecordReader.DefaultMaxRecordBytes"/>; see <see cref="ValidateAsync(Stream, DatasetSchema, IRowSink, char, int, CancellationToken)"/>.
    /// </remarks>
    public static Task<ValidationResult> ValidateAsync(Stream csv, DatasetSchema schema, IRowSink sink, CancellationToken ct) =>
        ValidateAsync(csv, schema, sink, schema.Options.Separator, CsvRecordReader.DefaultMaxRecordBytes, ct);

    /// <summary>
    /// Validates <paramref name="csv"/> (UTF-8) read as strict RFC 4180 with <paramref name="delimiter"/>, and appends accepted
    /// rows to <paramref name="sink"/>. Every record after the header is either accepted or rejected with its line: a
    /// malformed or oversized record is a row error like a bad value, never an exception. Only blank lines are skipped.
    /// </summary>
    public static async Task<ValidationResult> ValidateAsync(Stream csv, DatasetSchema schema, IRowSink sink, char delimiter, int maxRecordBytes, CancellationToken ct)
    {
        // A takeoff is one row: size the buffer to the file, so thousands of small loads don't each allocate 64K chars (twice: the StreamReader's and the record reader's).
        var bufferSize = csv.CanSeek ? (int)Math.Clamp(csv.Length + 16, 1024, 1 << 16) : 1 << 16;
        // The byte order mark is the reader's to skip; no other encoding is ever guessed from it.
        using var text = new StreamReader(csv, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false, bufferSize: bufferSize, leaveOpen: true);
        var reader = new CsvRecordReader(text, delimiter, maxRecordBytes, bufferSize);
        try
        {
            if (!await reader.ReadAsync(ct)) return ValidationResult.ForFileError("The file is empty: it has no header line.");
        }
        catch (DecoderFallbackException)
        {
            return ValidationResult.ForFileError("The file is not valid UTF-8 text.");
        }
        if (reader.Malformed is { } headerFault)
            return ValidationResult.ForFileError($"The header line is not valid CSV: {headerFault}.");
        var names = new string[reader.FieldCount];
        for (var i = 0; i < names.Length; i++) names[i] = new string(reader.Field(i));
        var header = CsvHeader.TryCreate(schema, names, out var problem);
        if (header is null) return ValidationResult.ForFileError(problem!);

        var result = new ValidationResult();
        var row = new FieldValue[schema.Columns.Count];
        var fileColumns = header.FileColumns;
        try
        {
            while (await reader.ReadAsync(ct))
            {
                var line = reader.Line;
                if (reader.IsBlank && fileColumns.Count > 1) continue; // a blank line is no record
                if (reader.Malformed is { } fault)
                {
                    result.RowsRejected++;
                    result.AddError(new RowError(line, null, Raw(reader), fault));
                    continue;
                }
                var fieldCount = reader.FieldCount;
                if (fieldCount != fileColumns.Count)
                {
                    result.RowsRejected++;
                    result.AddError(new RowError(line, null, Raw(reader), $"expected {fileColumns.Count} fields as in the header, found {fieldCount}"));
                    continue;
                }

                for (var c = 0; c < row.Length; c++) row[c] = new FieldValue { IsNull = true };
                var ok = true;
                for (var f = 0; f < fieldCount; f++)
                {
                    var column = fileColumns[f]!;
                    var span = reader.Field(f);
                    var reason = FieldParser.TryParse(span, column, ref row[column.Ordinal]);
                    if (reason is null) continue;
                    if (ok) result.RowsRejected++;
                    ok = false;
                    result.AddError(new RowError(line, column.Name, Truncate(span), reason));
                }
                if (!ok) continue;
                // Required columns absent from the header are impossible (the header check refuses them).
                sink.Append(row, line);
                result.RowsAccepted++;
            }
        }
        catch (DecoderFallbackException)
        {
            result.RowsRejected++;
            result.AddError(new RowError(reader.Line, null, null, "The file is not valid UTF-8 text from this line on; nothing after it was read."));
        }
        return result;
    }

    /// <summary>
    /// Validates one record given as field texts (null meaning empty), exactly as <see cref="ValidateAsync(Stream, DatasetSchema, IRowSink, CancellationToken)"/>
    /// validates a row of the same fields: same reasons, same truncated values. The bulk loader uses it for the
    /// records its SQL fast path could not vouch for. Counts the row in <paramref name="result"/> when rejected.
    /// </summary>
    /// <returns>True when the row is accepted; its values are then in <paramref name="row"/> by schema ordinal.</returns>
    public static bool ValidateRecord(IReadOnlyList<string?> fields, CsvHeader header, Span<FieldValue> row, long line, ValidationResult result)
    {
        var fileColumns = header.FileColumns;
        for (var c = 0; c < row.Length; c++) row[c] = new FieldValue { IsNull = true };
        var ok = true;
        for (var f = 0; f < fileColumns.Count; f++)
        {
            var column = fileColumns[f]!;
            var span = (fields[f] ?? "").AsSpan();
            var reason = FieldParser.TryParse(span, column, ref row[column.Ordinal]);
            if (reason is null) continue;
            if (ok) result.RowsRejected++;
            ok = false;
            result.AddError(new RowError(line, column.Name, Truncate(span), reason));
        }
        return ok;
    }

    // The reader keeps more of a record than MaxValueLength, so a cut record always shows its ellipsis.
    private static string Raw(CsvRecordReader reader) => Truncate(reader.RawPrefix);

    private static string Truncate(ReadOnlySpan<char> value) =>
        value.Length <= MaxValueLength ? new string(value) : string.Concat(value[..MaxValueLength], "…");
}
