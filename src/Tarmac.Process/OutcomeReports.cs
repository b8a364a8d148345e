using System.Diagnostics;
using Tarmac.Core.Uploads;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// Tells the world an upload reached its final status: the metrics, the <c>event="upload_processed"</c> log line that
/// log-based metrics read, and whoever waits on it in this process (<c>?wait=true</c>). Loads settle in the processor
/// locally and in the flush on Google Cloud; both report here.
/// </summary>
public sealed partial class OutcomeReports(UploadSignals signals, TarmacMetrics metrics, ILogger<OutcomeReports> logger)
{
    /// <summary>Reports each of <paramref name="records"/> that has a final status.</summary>
    public void Settled(IEnumerable<UploadRecord> records)
    {
        foreach (var r in records)
        {
            if (!r.Status.IsFinal()) continue;
            var tag = new KeyValuePair<string, object?>("dataset", r.Dataset);
            var status = r.Status.ToWire();
            metrics.UploadsProcessed.Add(1, tag, new KeyValuePair<string, object?>("status", status));
            metrics.RowsLoaded.Add(r.RowsLoaded, tag);
            metrics.RowsRejected.Add(r.RowsRejected, tag);
            // The line names the upload's own trace (that of its POST), also when a batch or a flush settles many at once.
            using var span = InOtherTrace(r.TraceParent) ? TarmacTracing.StartForUpload("tarmac.upload.settled", r.TraceParent) : null;
            LogProcessed(logger, "upload_processed", r.UploadId, r.Dataset, status, r.RowsLoaded, r.RowsRejected);
            signals.Completed(r.UploadId);
        }
    }

    private static bool InOtherTrace(string? traceParent) =>
        TarmacTracing.TraceIdOf(traceParent) is { } traceId && Activity.Current?.TraceId.ToHexString() != traceId;

    [LoggerMessage(Level = LogLevel.Information, Message = "{event}: upload {upload_id} of {dataset} {status}, {rows_loaded} rows loaded, {rows_rejected} rejected")]
    private static partial void LogProcessed(ILogger logger, string @event, string upload_id, string dataset, string status, long rows_loaded, long rows_rejected);
}
