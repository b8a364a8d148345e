using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Ingest;

/// <summary>An upload as the API shows it, on POST and on <c>GET /uploads/{id}</c>.</summary>
public sealed record UploadView(
    string UploadId,
    string Dataset,
    string Object,
    long Bytes,
    string Sha256,
    UploadStatus Status,
    string StatusUrl,
    bool Duplicate,
    string? FileName,
    long RowsLoaded,
    long RowsRejected,
    IReadOnlyList<RowError> Errors,
    string? Error,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ProcessingStartedAt,
    DateTimeOffset? CompletedAt,
    double? ProcessingMs)
{
    /// <summary>
    /// The view of <paramref name="r"/>; <paramref name="duplicate"/> when it answers a repeated upload of the same bytes.
    /// The stored internal error is never shown: <c>error</c> is <see cref="UploadFailureText.Public"/> with
    /// <paramref name="failureTraceId"/> (see <see cref="UploadFailureText.TraceIdFor"/>).
    /// </summary>
    public static UploadView From(UploadRecord r, bool duplicate = false, string? failureTraceId = null) => new(
        r.UploadId, r.Dataset, r.Object, r.Bytes, r.Sha256, r.Status, $"/uploads/{r.UploadId}", duplicate, r.FileName,
        r.RowsLoaded, r.RowsRejected, r.Errors, r.Error is null ? null : UploadFailureText.Public(failureTraceId ?? "unknown"), r.ReceivedAt, r.ProcessingStartedAt, r.CompletedAt,
        r.CompletedAt is { } done && r.ProcessingStartedAt is { } started ? Math.Round((done - started).TotalMilliseconds, 1) : null);
}
