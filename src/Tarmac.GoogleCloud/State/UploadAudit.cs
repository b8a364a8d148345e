using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.BigQuery;

namespace Tarmac.GoogleCloud.State;

/// <summary>
/// Appends every change of an upload's state to the BigQuery table <c>upload_events</c>, for analysis (the seed's
/// recommendation). Nothing in the control flow reads it back: streamed rows are only documented to become available
/// "within a few seconds" (https://cloud.google.com/bigquery/docs/streaming-data-into-bigquery#dataavailability), and the
/// state documents in Cloud Storage are the truth. So an append that fails after retries is logged, not fatal.
/// </summary>
public sealed partial class UploadAudit(BigQueryClient bigQuery, ILogger<UploadAudit> logger)
{
    /// <summary>The audit table.</summary>
    public const string Table = "upload_events";

    private static readonly JsonSerializerOptions ErrorJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Records <paramref name="upload"/> as it is at <paramref name="at"/>.</summary>
    public async Task RecordAsync(UploadRecord upload, DateTimeOffset at, string? jobId, CancellationToken ct)
    {
        try
        {
            // A stable insertId: a retried insert of the same event is deduplicated by BigQuery (best effort).
            var insertId = $"{upload.UploadId}:{upload.Status.ToWire()}:{jobId}:{at.UtcTicks}";
            await bigQuery.InsertAllAsync(Table, [(insertId, Row(upload, at, jobId))], ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogAuditFailed(logger, "audit_write_failed", upload.UploadId, upload.Status.ToWire(), e.Message);
        }
    }

    /// <summary>The insertAll row. INT64 values travel as strings, the form BigQuery documents as exact for JSON.</summary>
    internal static JsonObject Row(UploadRecord u, DateTimeOffset at, string? jobId) => new()
    {
        ["upload_id"] = u.UploadId,
        ["dataset"] = u.Dataset,
        ["status"] = u.Status.ToWire(),
        ["object"] = u.Object,
        ["bytes"] = Int64(u.Bytes),
        ["sha256"] = u.Sha256,
        ["file_name"] = u.FileName,
        ["content_type"] = u.ContentType,
        ["client"] = u.Client,
        ["rows_loaded"] = Int64(u.RowsLoaded),
        ["rows_rejected"] = Int64(u.RowsRejected),
        ["errors"] = u.Errors.Count == 0 ? null : JsonSerializer.Serialize(u.Errors, ErrorJson),
        ["error"] = u.Error,
        ["job_id"] = jobId,
        ["at"] = NdjsonRowSink.Timestamp(at.UtcDateTime),
    };

    private static string Int64(long v) => v.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{event}: upload {upload_id} ({status}) not appended to upload_events: {reason}")]
    private static partial void LogAuditFailed(ILogger logger, string @event, string upload_id, string status, string reason);
}
