using System.Diagnostics;
using System.Security.Cryptography;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// Turns object-finalized events into loads. Delivery is at-least-once, so every step is idempotent:
/// an upload that is not in status stored is left alone, and the <see cref="UploadLoader"/> re-checks that inside its unit of work.
/// </summary>
public sealed partial class UploadProcessor(
    SchemaCatalog catalog, IObjectStore store, IUploadLedger ledger, UploadLoader loader,
    OutcomeReports reports, TarmacOptions options, TimeProvider time, ILogger<UploadProcessor> logger)
{
    /// <summary>How often a load that failed with an internal error is retried before the upload is marked failed.</summary>
    public const int MaxAttempts = 3;

    /// <summary>Processes a batch of events; returns the resulting record of each upload it concerned.</summary>
    public async Task<IReadOnlyList<UploadRecord>> ProcessAsync(IReadOnlyList<ObjectFinalized> events, CancellationToken ct)
    {
        var named = new List<(ObjectFinalized Event, string Dataset, string UploadId)>(events.Count);
        foreach (var evt in events)
        {
            if (!UploadIds.TryParseObjectName(evt.Name, out var datasetName, out var uploadId)) continue;
            if (catalog.TryGet(datasetName, out _)) named.Add((evt, datasetName, uploadId));
            else LogUnknownDataset(logger, evt.Name, datasetName);
        }
        // One set-wise ledger read for the batch; only objects the ledger never heard of are looked at one by one.
        var known = await ledger.GetManyAsync(named.Select(n => n.UploadId).Distinct(StringComparer.Ordinal).ToList(), ct);
        var requests = new List<LoadRequest>(named.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (evt, datasetName, uploadId) in named)
        {
            var upload = known.TryGetValue(uploadId, out var u) ? u : await RegisterUnknownAsync(evt, datasetName, uploadId, ct);
            if (upload is null || upload.Status != UploadStatus.Stored || !seen.Add(upload.UploadId)) continue;
            requests.Add(ToRequest(upload));
        }
        if (requests.Count == 0) return [];
        // The load joins the trace of the upload's POST (one upload), or links to each upload's trace (a batch).
        using var span = TarmacTracing.StartForUploads("tarmac.process", requests.Select(r => r.Upload.TraceParent));
        span?.SetTag("tarmac.uploads", requests.Count);

        IReadOnlyList<UploadRecord> results;
        if (requests.Count == 1) results = [await LoadOneAsync(requests[0], ct)];
        else
        {
            try
            {
                results = await loader.LoadAsync(requests, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not TransientFailureException)
            {
                // One bad apple must not fail the batch: load each upload on its own to find it.
                LogBatchFailed(logger, requests.Count, LogText.Escape(e.Message, 500));
                var one = new List<UploadRecord>(requests.Count);
                foreach (var r in requests) one.Add(await LoadOneAsync(r, ct));
                results = one;
            }
        }
        reports.Settled(results);
        return results;
    }

    private async Task<UploadRecord> LoadOneAsync(LoadRequest request, CancellationToken ct)
    {
        using var span = TarmacTracing.StartForUpload("tarmac.process.upload", request.Upload.TraceParent);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await loader.LoadAsync([request], ct))[0];
            }
            catch (ObjectNotFoundException e)
            {
                await ledger.MarkFailedAsync(request.Upload.UploadId, FailureReason(request.Upload, $"The raw object vanished: {e.Message}"), ct);
                return await ledger.GetAsync(request.Upload.UploadId, ct) ?? request.Upload;
            }
            // A TransientFailureException (quota, rate limit, warehouse unreachable, already retried with backoff)
            // propagates: the upload stays stored and the event is redelivered, instead of being marked failed.
            catch (Exception e) when (!ct.IsCancellationRequested && e is not TransientFailureException)
            {
                if (attempt < MaxAttempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * Math.Pow(4, attempt - 1)), time, ct);
                    continue;
                }
                var reason = FailureReason(request.Upload, $"{e.GetType().Name}: {e.Message}");
                LogLoadFailed(logger, e, request.Upload.UploadId, reason[..(TracePrefix.Length + 32)]);
                await ledger.MarkFailedAsync(request.Upload.UploadId, reason, ct);
                return await ledger.GetAsync(request.Upload.UploadId, ct) ?? request.Upload;
            }
        }
    }

    /// <summary>
    /// Registers an object the ledger does not know (its ingest crashed before registering it, or it
    /// arrived by a signed URL), hashing its bytes. Null when it vanished or duplicates an earlier upload.
    /// </summary>
    private async Task<UploadRecord?> RegisterUnknownAsync(ObjectFinalized evt, string datasetName, string uploadId, CancellationToken ct)
    {
        var obj = await store.GetAsync(evt.Name, ct);
        if (obj is null) return null;
        string sha;
        // An object too large to load is not read at all, not even to hash it (the loader rejects it from its size);
        // it is deduplicated by name instead.
        if (obj.Size > options.MaxObjectBytes) sha = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(evt.Name)));
        else
        {
            await using var s = await store.OpenReadAsync(evt.Name, ct);
            sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(s, ct));
        }
        var candidate = new UploadRecord
        {
            UploadId = uploadId, Dataset = datasetName, Object = evt.Name, Bytes = obj.Size, Sha256 = sha, Status = UploadStatus.Stored,
            FileName = obj.Metadata.GetValueOrDefault(RawObjectMetadata.FileName), ReceivedAt = time.GetUtcNow(),
            // Set by ingest (or signed into a signed upload's metadata): the trace of the request that sent the bytes.
            TraceParent = obj.Metadata.GetValueOrDefault(TarmacTracing.MetadataKey) is { } tp && TarmacTracing.TryParse(tp, out _) ? tp : null,
        };
        var registered = await ledger.RegisterAsync(candidate, ct);
        // A duplicate is skipped, unless it is the object a retry of a failed upload now points to.
        if (registered.Outcome != RegisterOutcome.Duplicate || registered.Upload.Object == evt.Name) return registered.Upload;
        await DiscardStrayAsync(obj, registered.Upload, ct);
        return null;
    }

    /// <summary>
    /// Deletes an object the ledger never registered whose bytes an earlier upload holds: what a crash between a duplicate
    /// POST's store and its own delete leaves behind (or a signed upload of the same bytes). Nothing refers to it; deleting
    /// only its generation, and only when the earlier upload still points elsewhere, is the same rule ingest applies.
    /// </summary>
    private async Task DiscardStrayAsync(StoredObject stray, UploadRecord original, CancellationToken ct)
    {
        try
        {
            if ((await ledger.GetAsync(original.UploadId, ct))?.Object == stray.Name) return;
            if (await store.DeleteAsync(stray.Name, stray.Generation, ct)) LogStrayDeleted(logger, stray.Name, original.UploadId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Only space: the stray is found a duplicate again by the next scan that meets it.
            LogStrayKept(logger, e, stray.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stray duplicate object {object} deleted; upload {upload_id} holds the same bytes")]
    private static partial void LogStrayDeleted(ILogger logger, string @object, string upload_id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stray duplicate object {object} could not be deleted; it stays")]
    private static partial void LogStrayKept(ILogger logger, Exception e, string @object);

    private LoadRequest ToRequest(UploadRecord upload)
    {
        catalog.TryGet(upload.Dataset, out var dataset);
        return new LoadRequest(upload, dataset, c => store.OpenReadAsync(upload.Object, c));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch of {count} uploads failed ({reason}); loading them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Upload {upload_id} failed after retries ({trace})")]
    private static partial void LogLoadFailed(ILogger logger, Exception e, string upload_id, string trace);

    /// <summary>The prefix ingest reads to show the failure's trace id instead of its detail (<c>UploadFailureText</c>).</summary>
    private const string TracePrefix = "trace_id=";

    /// <summary>
    /// A failure reason as stored: the trace id of the upload (its status's <c>trace_id</c>, under which this processing's
    /// log lines hold the detail), else of this processing, first; then the detail for whoever reads the state. Clients are
    /// only ever shown a stable sentence and that trace id.
    /// </summary>
    private static string FailureReason(UploadRecord upload, string detail) =>
        $"{TracePrefix}{TarmacTracing.TraceIdOf(upload.TraceParent) ?? (Activity.Current?.TraceId ?? ActivityTraceId.CreateRandom()).ToHexString()}; {LogText.Escape(detail, 500)}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Object {object} names dataset {dataset}, which has no schema; left unprocessed")]
    private static partial void LogUnknownDataset(ILogger logger, string @object, string dataset);
}
