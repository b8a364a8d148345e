using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;

namespace Tarmac.Core.Validation;

/// <summary>
/// Streams a JSON upload (NDJSON, one object, or an array of objects), validates every record against a dataset's schema,
/// hands accepted rows to a sink and records why the others were rejected: with the NDJSON line, or the array index (and the
/// line the element starts on). Every record is either accepted or rejected, so accepted + rejected is the number of records.
/// </summary>
public static class JsonValidator
{
    private const int MaxValueLength = 200;

    /// <summary>Validates <paramref name="json"/> (UTF-8) and appends accepted rows to <paramref name="sink"/>.</summary>
    /// <remarks>
    /// A row's <c>_line</c> is its line for NDJSON and a lone object, and its array index for an array's elements: unique within
    /// the upload, as the tie-breaker of every sort needs, and what its errors would have named.
    /// </remarks>
    public static async Task<ValidationResult> ValidateAsync(
        Stream json, UploadFormat format, DatasetSchema schema, IRowSink sink, CancellationToken ct, int maxRecordBytes = JsonRecordReader.DefaultMaxRecordBytes)
    {
        var reader = new JsonRecordReader(json, format, maxRecordBytes);
        var parser = new JsonRecordParser(schema);
        var row = new FieldValue[schema.Columns.Count];
        var result = new ValidationResult();
        while (await reader.ReadAsync(ct))
        {
            if (reader.Malformed is { } fault)
            {
                result.RowsRejected++;
                result.AddError(new RowError(reader.Line, null, Raw(reader.Record.Span), fault) { Index = reader.Index });
                continue;
            }
            if (!parser.TryParse(reader.Record.Span, row, reader.Line, reader.Index, result)) continue;
            sink.Append(row, reader.Index ?? reader.Line);
            result.RowsAccepted++;
        }
        return result;
    }

    private static string? Raw(ReadOnlySpan<byte> record)
    {
        if (record.IsEmpty) return null;
        var text = Encoding.UTF8.GetString(record).TrimEnd();
        return text.Length <= MaxValueLength ? text : string.Concat(text.AsSpan(0, MaxValueLength), "…");
    }
}
