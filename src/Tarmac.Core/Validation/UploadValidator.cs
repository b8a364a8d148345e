using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;

namespace Tarmac.Core.Validation;

/// <summary>The reader choice: an upload is validated by the reader of the format its raw object's name records.</summary>
public static class UploadValidator
{
    /// <summary>Validates the bytes of the raw object <paramref name="objectName"/> and appends accepted rows to <paramref name="sink"/>.</summary>
    public static Task<ValidationResult> ValidateAsync(Stream body, string objectName, DatasetSchema schema, IRowSink sink, CancellationToken ct) =>
        UploadFormats.FromObjectName(objectName) switch
        {
            UploadFormat.Csv => CsvValidator.ValidateAsync(body, schema, sink, ct),
            var json => JsonValidator.ValidateAsync(body, json, schema, sink, ct),
        };
}
