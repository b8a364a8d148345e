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
    /// <summary>Most characters kept of the client's user agent and declared content type (they also travel as object metadata).</summary>
    private const int MaxHeaderValueLength = 200;
    private int _waiters;

    /// <summary>
    /// The refusals that need none of the body: an unknown dataset, or a declared length over the limit.
    /// Null when the upload may go ahead. <see cref="AcceptAsync"/> checks the same again.
    /// </summary>
    /// <param name="datasetName">Name of the dataset to load into.</param>
    /// <param name="declaredLength">The length the client declared for what it sends, if it did.</param>
    /// <param name="compressed">Whether it sends the CSV compressed.</param>
    public UploadRefused? Screen(string datasetName, long? declaredLength, bool compressed) =>
        Screen(datasetName, declaredLength, compressed, out _);

    /// <summary>Stores, registers and announces one upload; with <paramref name="wait"/>, then waits (bounded) for its outcome.</summary>
    /// <returns><see cref="UploadAccepted"/>, or <see cref="UploadRefused"/> saying what to fix; a refused upload leaves no object behind.</returns>
    public async Task<UploadOutcome> AcceptAsync(IncomingUpload incoming, bool wait, CancellationToken ct)
    {
        if (Screen(incoming.Dataset, incoming.DeclaredLength, incoming.Compressed, out var dataset) is { } refused) return refused;

        // To the millisecond, and the id minted from it: the id then says exactly when the upload was received, which is how
        // the embedded ledger rebuilds a registration from its segment record after a crash.
        var now = time.GetUtcNow();
        var receivedAt = now.AddTicks(-(now.UtcTicks % TimeSpan.TicksPerMillisecond));
        var uploadId = UploadIds.New(receivedAt);
        var client = Capped(incoming.Client is { Length: > 0 } named ? named : null);
        var contentType = Capped(incoming.ContentType);
        var objectName = UploadIds.ObjectName(dataset.Name, uploadId, receivedAt, incoming.Format);
        StoredObject stored;
        string sha256;
        try
        {
            using var inspector = UploadInspections.Open(incoming, dataset, options.EffectiveMaxUploadBytes);
            // Everything the registration holds but the hash: the object alone says who sent it, and how.
            var metadata = new Dictionary<string, string> { [RawObjectMetadata.UploadId] = uploadId, [RawObjectMetadata.Dataset] = dataset.Name };
            if (incoming.FileName is not null) metadata[RawObjectMetadata.FileName] = incoming.FileName;
            if (client is not null) metadata[RawObjectMetadata.Client] = client;
            if (contentType is not null) metadata[RawObjectMetadata.ContentType] = contentType;
            // The POST's trace context travels with the object, so process's spans join this trace (TarmacTracing).
            if (TarmacTracing.CurrentTraceParent() is { } traceParent) metadata[TarmacTracing.MetadataKey] = traceParent;
            stored = await store.CreateAsync(objectName, inspector.Body, metadata, ct);
            sha256 = inspector.Sha256;
        }
        catch (UploadRejectedException e)
        {
            LogRejected(logger, dataset.Name, e.Reason, e.Message);
            return new UploadRefused(e.Reason, e.Title, e.Message);
        }
        catch (IOException e) when (DiskFull.Is(e))
        {
            // The store removed its partial temp file; nothing of this upload is visible or kept.
            LogDiskFull(logger, dataset.Name, e.HResult);
            return new UploadRefused(UploadRefusal.InsufficientStorage, "Insufficient storage",
                "The server has no space left to store this upload, and kept nothing of it. Send it again later.");
        }
        catch (InvalidDataException e)
        {
            // Only a decoder between the client and the CSV throws this: gzip when compressed, else the multipart reader.
            return incoming.Compressed
                ? new UploadRefused(UploadRefusal.Invalid, "Malformed gzip body", $"The body could not be decompressed: {e.Message}")
                : new UploadRefused(UploadRefusal.Invalid, "Malformed multipart body", $"The multipart/form-data body could not be read: {e.Message}");
        }

        incoming.Slot?.Release(); // the bytes are stored: what follows is bounded by the ledger and TARMAC_MAX_WAITERS
        var candidate = new UploadRecord
        {
            UploadId = uploadId, Dataset = dataset.Name, Object = stored.Name, Bytes = stored.Size, Sha256 = sha256,
            Status = UploadStatus.Stored, FileName = incoming.FileName, ContentType = contentType, Client = client, ReceivedAt = receivedAt,
            TraceParent = TarmacTracing.CurrentTraceParent(),
        };
        // The bytes are durable: from here on the client's request no longer matters. A client that closes its socket right
        // after the last byte cancels ct, and a registration committed without its event would leave the upload stored
        // until a restart. Both steps are short and bounded (one ledger statement, one unbounded-channel write).
        var registered = await ledger.RegisterAsync(candidate, CancellationToken.None);
        var upload = registered.Upload;
        var duplicate = registered.Outcome == RegisterOutcome.Duplicate;
        if (duplicate && upload.Status == UploadStatus.Stored)
        {
            // The same bytes, still not loaded: announce the earlier upload again rather than trust that its event went
            // out. Events are idempotent (process skips an upload that is no longer stored), so a second one costs nothing.
            await events.PublishAsync(new ObjectFinalized(store.Bucket, upload.Object, 0), CancellationToken.None);
        }
        if (duplicate) await DiscardDuplicateAsync(stored, upload);
        else
        {
            await events.PublishAsync(new ObjectFinalized(store.Bucket, upload.Object, stored.Generation), CancellationToken.None);
            metrics.UploadsReceived.Add(1, new KeyValuePair<string, object?>("dataset", dataset.Name));
            metrics.UploadBytes.Add(stored.Size, new KeyValuePair<string, object?>("dataset", dataset.Name));
        }
        LogAccepted(logger, upload.UploadId, dataset.Name, stored.Size, registered.Outcome);

        if (wait && Interlocked.Increment(ref _waiters) <= options.MaxWaiters)
        {
            try { upload = await signals.WaitForOutcomeAsync(upload.UploadId, TimeSpan.FromSeconds(options.WaitTimeoutSeconds), ct) ?? upload; }
            finally { Interlocked.Decrement(ref _waiters); }
        }
        else if (wait)
        {
            // Over the ceiling: the upload is safe already, so the answer is the 202 a timed-out wait gives, not a refusal.
            Interlocked.Decrement(ref _waiters);
        }
        return new UploadAccepted(upload, duplicate, upload.Status.IsFinal());
    }

    /// <summary>
    /// Deletes the object a duplicate stored: the earlier upload holds the same bytes, and nothing refers to this copy
    /// (the candidate was never registered). Only this request's own generation is deleted, and never an object the
    /// ledger's upload points to. A crash before the delete leaves a stray object that recovery finds to be a duplicate
    /// again and skips; a failed delete only costs that space, so it is logged and the client still gets its answer.
    /// </summary>
    private async Task DiscardDuplicateAsync(StoredObject stored, UploadRecord original)
    {
        if (original.Object == stored.Name) return;
        try
        {
            // A re-read narrows the one race left: the earlier upload failed and a retry made this object its own.
            if ((await ledger.GetAsync(original.UploadId, CancellationToken.None))?.Object == stored.Name) return;
            if (await store.DeleteAsync(stored.Name, stored.Generation, CancellationToken.None)) LogDiscarded(logger, stored.Name, original.UploadId);
        }
        catch (Exception e)
        {
            LogDiscardFailed(logger, e, stored.Name);
        }
    }

    private static string? Capped(string? value) => value is { Length: > MaxHeaderValueLength } ? value[..MaxHeaderValueLength] : value;

    private UploadRefused? Screen(string datasetName, long? declaredLength, bool compressed, out DatasetSchema dataset)
    {
        if (!catalog.TryGet(datasetName, out dataset))
            return new UploadRefused(UploadRefusal.UnknownDataset, "Unknown dataset", $"There is no dataset '{datasetName}'. Known datasets: {catalog.NameList}.");
        // A compressed body's declared length is not the CSV's; InspectingUploadStream holds those to the limit as they inflate.
        var limit = options.EffectiveMaxUploadBytes;
        return declaredLength > limit && !compressed
            ? new UploadRefused(UploadRefusal.TooLarge, "Upload too large", $"The upload exceeds the limit of {limit} bytes. {UploadLimits.LargeFileHint}")
            : null;
    }

    // Debug: every upload is in the ledger already, and a line per takeoff would cost more than the takeoff.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Upload {upload_id} to {dataset} stored ({bytes} bytes, {outcome})")]
    private static partial void LogAccepted(ILogger logger, string upload_id, string dataset, long bytes, RegisterOutcome outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Duplicate object {object} deleted; upload {upload_id} holds the same bytes")]
    private static partial void LogDiscarded(ILogger logger, string @object, string upload_id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Duplicate object {object} could not be deleted; it stays as a stray copy")]
    private static partial void LogDiscardFailed(ILogger logger, Exception e, string @object);

    [LoggerMessage(Level = LogLevel.Error, Message = "Upload to {dataset} refused: no space left to store it (HRESULT {hresult})")]
    private static partial void LogDiskFull(ILogger logger, string dataset, int hresult);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload to {dataset} refused ({refusal}): {reason}")]
    private static partial void LogRejected(ILogger logger, string dataset, UploadRefusal refusal, string reason);
}
