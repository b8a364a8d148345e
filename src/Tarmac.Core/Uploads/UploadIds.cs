namespace Tarmac.Core.Uploads;

/// <summary>Upload ids and the object names derived from them.</summary>
public static class UploadIds
{
    /// <summary>Prefix of every raw upload object; object notifications are scoped to it.</summary>
    public const string RawPrefix = "raw/";

    /// <summary>A new upload id: a version-7 GUID in 32 hex digits, so ids sort by arrival time.</summary>
    public static string New() => Guid.CreateVersion7().ToString("N");

    /// <summary>
    /// A new upload id minted at <paramref name="at"/> (to the millisecond, all a version-7 id holds): <see cref="MintedAt"/>
    /// gives <paramref name="at"/> back exactly when it has no finer part.
    /// </summary>
    public static string New(DateTimeOffset at) => Guid.CreateVersion7(at).ToString("N");

    /// <summary>True for a well-formed upload id (32 lower-case hex digits).</summary>
    public static bool IsValid(string? id) =>
        id is { Length: 32 } && id.AsSpan().IndexOfAnyExcept(HexDigits) < 0;

    /// <summary>
    /// When a version-7 id was minted (its first 48 bits are Unix milliseconds); null for an id of another version.
    /// A hint, never an identity: ids minted elsewhere (a signed URL, another clock) say only roughly when.
    /// </summary>
    public static DateTimeOffset? MintedAt(string id)
    {
        if (!IsValid(id) || id[12] != '7') return null;
        var ms = long.Parse(id.AsSpan(0, 12), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
        return ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// <c>raw/&lt;dataset&gt;/&lt;yyyy-MM-dd&gt;/&lt;upload-id&gt;.csv</c> (<c>.json</c>, <c>.ndjson</c> for JSON uploads): unique per
    /// upload, never reused. The extension is the upload's <see cref="UploadFormat"/>, which process reads back from it.
    /// </summary>
    public static string ObjectName(string dataset, string uploadId, DateTimeOffset receivedAt, UploadFormat format = UploadFormat.Csv) =>
        $"{RawPrefix}{dataset}/{receivedAt.UtcDateTime:yyyy-MM-dd}/{uploadId}{format.Extension()}";

    /// <summary>Reads dataset and upload id back from a raw object name; false for any other name.</summary>
    public static bool TryParseObjectName(string name, out string dataset, out string uploadId)
    {
        dataset = uploadId = "";
        if (!name.StartsWith(RawPrefix, StringComparison.Ordinal) || !UploadFormats.TryFromObjectName(name, out var format)) return false;
        var parts = name[RawPrefix.Length..^format.Extension().Length].Split('/');
        if (parts.Length != 3 || !IsValid(parts[2])) return false;
        dataset = parts[0];
        uploadId = parts[2];
        return true;
    }
}
