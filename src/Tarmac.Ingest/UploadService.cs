using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.ServiceDefaults;

namespace Tarmac.Ingest;

/// <summary>
/// Accepts one upload: stream to a new object (checking it on the way), register it in the ledger
/// (where identical bytes are recognised), announce it, and optionally wait for its outcome.
/// </summary>
public sealed partial class UploadService(
    SchemaCatalog catalog, IObjectStore store, IUploadLedger ledger, IObjectEventPublisher events,
    UploadSignals signals, TarmacOptions options, TarmacMetrics metrics, TimeProvider time, ILogger<UploadService> logger)
{
    public async Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> AcceptAsync(HttpContext http, string datasetName, bool wait, CancellationToken ct)
    {
        if (!catalog.TryGet(datasetName, out var dataset)) return Problems.UnknownDataset(datasetName, catalog.NameList);
        var limit = options.EffectiveMaxUploadBytes;
        if (http.Request.ContentLength > limit && http.Request.Headers.ContentEncoding.Count == 0)
            return TooLarge(limit);

        var (body, fileName, problem) = await CsvRequestBody.OpenAsync(http.Request, ct);
        if (problem is not null) return problem;

        var receivedAt = time.GetUtcNow();
        var uploadId = UploadIds.New();
        var objectName = UploadIds.ObjectName(dataset.Name, uploadId, receivedAt);
        var client = http.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, 200)] : null;
        StoredObject stored;
        string sha256;
        try
        {
            using var inspector = new InspectingUploadStream(body!, dataset, limit, compressed: http.Request.Headers.ContentEncoding.Count > 0);
            var metadata = new Dictionary<string, string> { ["upload_id"] = uploadId, ["dataset"] = dataset.Name };
            if (fileName is not null) metadata["file_name"] = fileName;
            stored = await store.CreateAsync(objectName, inspector, metadata, ct);
            sha256 = inspector.Sha256;
        }
        catch (UploadRejectedException e)
        {
            LogRejected(logger, dataset.Name, e.Status, e.Message);
            return Problems.Create(e.Status, e.Title, e.Message);
        }
        catch (InvalidDataException e) // a corrupt gzip stream or a malformed multipart body
        {
            return http.Request.Headers.ContentEncoding.Count > 0
                ? Problems.Create(StatusCodes.Status400BadRequest, "Malformed gzip body", $"The body could not be decompressed: {e.Message}")
                : Problems.Create(StatusCodes.Status400BadRequest, "Malformed multipart body", $"The multipart/form-data body could not be read: {e.Message}");
        }

        var candidate = new UploadRecord
        {
            UploadId = uploadId, Dataset = dataset.Name, Object = stored.Name, Bytes = stored.Size, Sha256 = sha256,
            Status = UploadStatus.Stored, FileName = fileName, ContentType = http.Request.ContentType, Client = client, ReceivedAt = receivedAt,
        };
        var registered = await ledger.RegisterAsync(candidate, ct);
        var upload = registered.Upload;
        if (registered.Outcome != RegisterOutcome.Duplicate)
        {
            await events.PublishAsync(new ObjectFinalized(store.Bucket, upload.Object, stored.Generation), ct);
            metrics.UploadsReceived.Add(1, new KeyValuePair<string, object?>("dataset", dataset.Name));
            metrics.UploadBytes.Add(stored.Size, new KeyValuePair<string, object?>("dataset", dataset.Name));
        }
        LogAccepted(logger, upload.UploadId, dataset.Name, stored.Size, registered.Outcome.ToString());

        if (wait)
        {
            upload = await signals.WaitForOutcomeAsync(upload.UploadId, TimeSpan.FromSeconds(options.WaitTimeoutSeconds), ct) ?? upload;
            if (!upload.Status.IsFinal()) return TypedResults.Accepted($"/uploads/{upload.UploadId}", UploadView.From(upload, registered.Outcome == RegisterOutcome.Duplicate));
        }
        return TypedResults.Ok(UploadView.From(upload, registered.Outcome == RegisterOutcome.Duplicate));
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"The upload exceeds the limit of {limit} bytes. {UploadLimits.LargeFileHint}");

    // Debug: every upload is in the ledger already, and a line per takeoff would cost more than the takeoff.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Upload {upload_id} to {dataset} stored ({bytes} bytes, {outcome})")]
    private static partial void LogAccepted(ILogger logger, string upload_id, string dataset, long bytes, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload to {dataset} refused with {status}: {reason}")]
    private static partial void LogRejected(ILogger logger, string dataset, int status, string reason);
}
