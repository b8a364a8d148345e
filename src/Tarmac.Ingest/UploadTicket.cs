namespace Tarmac.Ingest;

/// <summary>Request of <c>POST /uploads</c>.</summary>
public sealed record UploadRequest(string? Dataset, string? FileName, long? Bytes);

/// <summary>
/// Where and how to send the file. On Google Cloud: POST to <see cref="UploadUrl"/> with exactly <see cref="Headers"/>
/// to open a resumable session, then PUT the bytes to the session URI it returns in <c>Location</c>.
/// </summary>
public sealed record UploadTicket(
    string? UploadId, string? Object, string UploadUrl, string Method, IReadOnlyDictionary<string, string> Headers,
    DateTimeOffset? ExpiresAt, string? StatusUrl);
