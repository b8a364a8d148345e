using Tarmac.Core.Validation;

namespace Tarmac.Core.Uploads;

/// <summary>One upload as the ledger knows it.</summary>
public sealed record UploadRecord
{
    public required string UploadId { get; init; }
    public required string Dataset { get; init; }
    /// <summary>Object name in the raw bucket.</summary>
    public required string Object { get; init; }
    public required long Bytes { get; init; }
    /// <summary>Lower-case hex SHA-256 of the stored bytes (after any Content-Encoding was removed).</summary>
    public required string Sha256 { get; init; }
    public required UploadStatus Status { get; init; }
    public string? FileName { get; init; }
    public string? ContentType { get; init; }
    /// <summary>Who sent it (user agent, and the caller's identity where auth is on).</summary>
    public string? Client { get; init; }
    public long RowsLoaded { get; init; }
    public long RowsRejected { get; init; }
    public IReadOnlyList<RowError> Errors { get; init; } = [];
    /// <summary>Internal error message when <see cref="Status"/> is failed.</summary>
    public string? Error { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public DateTimeOffset? ProcessingStartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>How many times processing was attempted.</summary>
    public int Attempts { get; init; }
    /// <summary>
    /// W3C <c>traceparent</c> of the request that sent the bytes (the POST, or the request for a signed upload URL), which
    /// process continues; null for uploads recorded before traces were kept.
    /// </summary>
    public string? TraceParent { get; init; }
}
