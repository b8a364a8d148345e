using Tarmac.Core.Uploads;

namespace Tarmac.Local.Status;

/// <summary>One recent upload, as a line of the page's table.</summary>
/// <param name="UploadId">The upload's id.</param>
/// <param name="Dataset">Its dataset.</param>
/// <param name="Status">Its status (<c>stored</c> until processed).</param>
/// <param name="Bytes">Bytes stored.</param>
/// <param name="RowsLoaded">Rows loaded.</param>
/// <param name="RowsRejected">Rows rejected.</param>
/// <param name="ErrorCount">Row errors kept in its status document (the first 100 at most).</param>
/// <param name="FirstError">The first row error in words, or null.</param>
/// <param name="ReceivedAt">When it was received.</param>
/// <param name="CompletedAt">When it reached its final status, or null.</param>
/// <param name="StatusUrl">Its status document, with every kept row error (<c>GET /uploads/{id}</c>).</param>
public sealed record RecentUpload(
    string UploadId,
    string Dataset,
    UploadStatus Status,
    long Bytes,
    long RowsLoaded,
    long RowsRejected,
    int ErrorCount,
    string? FirstError,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? CompletedAt,
    string StatusUrl);
