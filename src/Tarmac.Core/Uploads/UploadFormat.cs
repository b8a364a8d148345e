namespace Tarmac.Core.Uploads;

/// <summary>How an upload's bytes are laid out. Ingest records it in the raw object's name, which every later step sees.</summary>
public enum UploadFormat
{
    /// <summary>CSV with a header line (<c>.csv</c>).</summary>
    Csv,
    /// <summary>One JSON object, or a JSON array of objects (<c>.json</c>).</summary>
    Json,
    /// <summary>One JSON object per line (<c>.ndjson</c>).</summary>
    Ndjson,
}

/// <summary>The object-name extension of each <see cref="UploadFormat"/>.</summary>
public static class UploadFormats
{
    /// <summary>The extension, with its dot, that a raw object of this format ends in.</summary>
    public static string Extension(this UploadFormat format) => format switch
    {
        UploadFormat.Csv => ".csv",
        UploadFormat.Json => ".json",
        UploadFormat.Ndjson => ".ndjson",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>
    /// The format of a raw object, from its name's extension; false for a name that has none of them. The name is what
    /// object events, the ledger and a bucket listing all carry, so no metadata read is needed to pick a reader.
    /// </summary>
    public static bool TryFromObjectName(string name, out UploadFormat format)
    {
        foreach (var f in (ReadOnlySpan<UploadFormat>)[UploadFormat.Csv, UploadFormat.Json, UploadFormat.Ndjson])
        {
            if (!name.EndsWith(f.Extension(), StringComparison.Ordinal)) continue;
            format = f;
            return true;
        }
        format = UploadFormat.Csv;
        return false;
    }

    /// <summary>The format of a raw object named by <see cref="UploadIds.ObjectName"/>; CSV for any other name (the signed-URL path's).</summary>
    public static UploadFormat FromObjectName(string name) => TryFromObjectName(name, out var f) ? f : UploadFormat.Csv;
}
