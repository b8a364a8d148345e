using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using Tarmac.ServiceDefaults;

namespace Tarmac.Ingest;

/// <summary>
/// An upload as the API shows it, on POST and on <c>GET /uploads/{id}</c>. <c>trace_id</c> is the W3C trace id of the request
/// that sent the bytes: ingest's and process's spans and log lines for this upload carry it (null for uploads recorded
/// before traces were kept).
/// </summary>
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
    double? ProcessingMs,
    string? TraceId)
{
    /// <summary>
    /// The view of <paramref name="r"/>; <paramref name="duplicate"/> when it answers a repeated upload of the same bytes.
    /// The stored internal error is never shown: <c>error</c> is <see cref="UploadFailureText.Public"/> with
    /// <paramref name="failureTraceId"/> (see <see cref="UploadFailureText.TraceIdFor"/>), else the upload's own trace id.
    /// </summary>
    public static UploadView From(UploadRecord r, bool duplicate = false, string? failureTraceId = null)
    {
        var traceId = TarmacTracing.TraceIdOf(r.TraceParent);
        return new(
            r.UploadId, r.Dataset, r.Object, r.Bytes, r.Sha256, r.Status, $"/uploads/{r.UploadId}", duplicate, r.FileName,
            r.RowsLoaded, r.RowsRejected, r.Errors, r.Error is null ? null : UploadFailureText.Public(failureTraceId ?? traceId ?? "unknown"), r.ReceivedAt, r.ProcessingStartedAt, r.CompletedAt,
            r.CompletedAt is { } done && r.ProcessingStartedAt is { } started ? Math.Round((done - started).TotalMilliseconds, 1) : null,
            traceId);
    }
}
