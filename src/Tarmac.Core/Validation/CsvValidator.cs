using System.Text;
using Sylvan.Data.Csv;
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
    public static async Task<ValidationResult> ValidateAsync(Stream csv, DatasetSchema schema, IRowSink sink, CancellationToken ct)
    {
        // A takeoff is one row: size the buffers to the file, so thousands of small loads don't each allocate 64K chars twice.
        var bufferSize = csv.CanSeek ? (int)Math.Clamp(csv.Length + 16, 1024, 1 << 16) : 1 << 16;
        using var text = new StreamReader(csv, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true, bufferSize: bufferSize, leaveOpen: true);
        var options = new CsvDataReaderOptions { HasHeaders = true, BufferSize = bufferSize, MaxBufferSize = 1 << 24, HeaderComparer = StringComparer.Ordinal };
        CsvDataReader reader;
        try
        {
            reader = await CsvDataReader.CreateAsync(text, options, ct);
        }
        catch (DecoderFallbackException)
        {
            return ValidationResult.ForFileError("The file is not valid UTF-8 text.");
        }
        catch (CsvMissingHeadersException)
        {
            return ValidationResult.ForFileError("The file is empty: it has no header line.");
        }

        await using (reader)
        {
            var names = new string[reader.FieldCount];
            for (var i = 0; i < names.Length; i++) names[i] = reader.GetName(i);
            var header = CsvHeader.TryCreate(schema, names, out var problem);
            if (header is null) return ValidationResult.ForFileError(problem!);

            var result = new ValidationResult();
            var row = new FieldValue[schema.Columns.Count];
            var fileColumns = header.FileColumns;
            long nextLine = 2;
            try
            {
                while (await reader.ReadAsync(ct))
                {
                    var line = nextLine;
                    var raw = reader.GetRawRecordSpan();
                    nextLine += Math.Max(1, raw.Count('\n'));
                    var fieldCount = reader.RowFieldCount;
                    if (fieldCount == 1 && reader.GetFieldSpan(0).IsWhiteSpace() && fileColumns.Count > 1) continue; // blank line

                    if (fieldCount != fileColumns.Count)
                    {
                        result.RowsRejected++;
                        result.AddError(new RowError(line, null, Truncate(raw.TrimEnd("\r\n")),
                            $"expected {fileColumns.Count} fields as in the header, found {fieldCount}"));
                        continue;
                    }

                    for (var c = 0; c < row.Length; c++) row[c] = new FieldValue { IsNull = true };
                    var ok = true;
                    for (var f = 0; f < fieldCount; f++)
                    {
                        var column = fileColumns[f]!;
                        var span = reader.GetFieldSpan(f);
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
                result.AddError(new RowError(nextLine, null, null, "The file is not valid UTF-8 text from this line on; nothing after it was read."));
            }
            return result;
        }
    }

    /// <summary>
    /// Validates one record given as field texts (null meaning empty), exactly as <see cref="ValidateAsync"/>
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

    private static string Truncate(ReadOnlySpan<char> value) =>
        value.Length <= MaxValueLength ? new string(value) : string.Concat(value[..MaxValueLength], "…");
}
