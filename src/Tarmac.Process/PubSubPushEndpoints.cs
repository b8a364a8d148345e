using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud;
using Tarmac.Core.Ports;
using Tarmac.GoogleCloud.Push;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// <c>POST /pubsub/push</c>: Cloud Storage notifications delivered by a Pub/Sub push subscription.
/// Pub/Sub acks on 2xx and redelivers otherwise (then dead-letters), so the answer is 2xx only once the object's rows are
/// validated and durably staged for their load, or its outcome is final (bad data, vanished object, not ours to load).
/// The answer comes within seconds, not after the load: Pub/Sub raises its push rate on quick successes and slows down
/// on slow ones (https://cloud.google.com/pubsub/docs/push#push_backoff); the flush loads what was staged.
/// </summary>
public static partial class PubSubPushEndpoints
{
    /// <summary>Pub/Sub push bodies are at most 10 MB; a storage notification is a few KB.</summary>
    private const int MaxBodyBytes = 1 << 20;

    public static IEndpointRouteBuilder MapPubSubPush(this IEndpointRouteBuilder app)
    {
        app.MapPost("/pubsub/push", Push).WithName("PubSubPush").WithTags("Events")
            .WithSummary("Cloud Storage object notifications pushed by Pub/Sub (OIDC-authenticated)").DisableAntiforgery()
            .AllowAnonymous(); // not a consumer route: CallerCheck admits only the pusher's OIDC token
        return app;
    }

    /// <summary>What a processed push reports: <c>stored</c> while its staged rows wait for their load, else the final outcome.</summary>
    public sealed record PushOutcome(string UploadId, UploadStatus Status, long RowsLoaded, long RowsRejected);

    private static async Task<Results<Ok<PushOutcome>, NoContent, ProblemHttpResult>> Push(
        HttpContext http, UploadProcessor processor, GoogleCloudOptions gcp, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(PubSubPushEndpoints));
        if (await CallerCheck.RefuseAsync(http, gcp, ct) is { } refused) return refused;

        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "Push body too large", $"A storage notification is a few KB; this body exceeds {MaxBodyBytes} bytes.");
        var envelope = PushEnvelope.TryParse(body, out var messageId, out var problem);
        if (envelope is null)
        {
            LogMalformed(logger, messageId ?? "(none)", problem!);
            return Problems.Create(StatusCodes.Status400BadRequest, "Malformed push message", problem!);
        }

        var evt = envelope.Object;
        if (envelope.EventType != PushEnvelope.ObjectFinalize || !evt.Name.StartsWith(UploadIds.RawPrefix, StringComparison.Ordinal))
            return TypedResults.NoContent();
        if (!string.Equals(evt.Bucket, gcp.RawBucket, StringComparison.Ordinal))
        {
            LogOtherBucket(logger, envelope.MessageId, evt.Bucket);
            return TypedResults.NoContent();
        }

        // Pub/Sub's push carries no trace of the upload; the object's metadata does: this push's work joins the POST's trace.
        using var span = TarmacTracing.StartForUpload("tarmac.process.push", envelope.TraceParent, System.Diagnostics.ActivityKind.Consumer);
        span?.SetTag("messaging.message.id", envelope.MessageId);
        try
        {
            var records = await processor.ProcessAsync([evt], ct);
            var record = records.Count > 0 ? records[0] : null;
            return record is null ? TypedResults.NoContent() : TypedResults.Ok(new PushOutcome(record.UploadId, record.Status, record.RowsLoaded, record.RowsRejected));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogTransient(logger, envelope.MessageId, evt.Name, e.Message);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Not loaded yet",
                $"Loading {evt.Name} failed for a reason that may pass ({e.GetType().Name}); the message will be redelivered.");
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push message {message_id} is malformed: {problem}")]
    private static partial void LogMalformed(ILogger logger, string message_id, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push message {message_id} is about bucket {bucket}, not the raw bucket; ignored")]
    private static partial void LogOtherBucket(ILogger logger, string message_id, string bucket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push message {message_id} for {object} not loaded, answered 503 for redelivery: {reason}")]
    private static partial void LogTransient(ILogger logger, string message_id, string @object, string reason);
}
