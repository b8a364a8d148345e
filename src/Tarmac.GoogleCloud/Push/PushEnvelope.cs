using System.Globalization;
using System.Text.Json;
using Tarmac.Core.Ports;

namespace Tarmac.GoogleCloud.Push;

/// <summary>
/// A Pub/Sub push request carrying a Cloud Storage notification (<c>JSON_API_V1</c>): the attributes say
/// what happened to which object; <c>data</c> is the object resource, base64-encoded JSON.
/// </summary>
/// <param name="MessageId">Pub/Sub message id (for logs).</param>
/// <param name="EventType">e.g. <c>OBJECT_FINALIZE</c>.</param>
/// <param name="Object">The object the event is about.</param>
/// <param name="TraceParent">
/// The W3C <c>traceparent</c> ingest stored in the object's metadata, as the payload's object resource carries it
/// (<c>metadata.traceparent</c>); null when absent. The notification's attributes cannot carry it: they are fixed by
/// Cloud Storage, and a notification config's <c>custom_attributes</c> are the same for every object
/// (https://cloud.google.com/storage/docs/pubsub-notifications, https://cloud.google.com/storage/docs/json_api/v1/notifications).
/// </param>
public sealed record PushEnvelope(string MessageId, string EventType, ObjectFinalized Object, string? TraceParent = null)
{
    /// <summary>The only event that means new bytes to load.</summary>
    public const string ObjectFinalize = "OBJECT_FINALIZE";

    /// <summary>Parses a push body; returns null and a reason when it is not a well-formed storage notification.</summary>
    public static PushEnvelope? TryParse(ReadOnlySpan<byte> body, out string? messageId, out string? problem)
    {
        messageId = null;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body.ToArray()); }
        catch (JsonException e) { problem = $"The body is not JSON: {e.Message}"; return null; }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
            {
                problem = "The body has no 'message' object: it is not a Pub/Sub push envelope.";
                return null;
            }
            messageId = Str(message, "messageId") ?? Str(message, "message_id");
            if (messageId is null) { problem = "The message has no messageId."; return null; }
            if (!message.TryGetProperty("attributes", out var attributes) || attributes.ValueKind != JsonValueKind.Object)
            {
                problem = "The message has no attributes: it is not a Cloud Storage notification.";
                return null;
            }
            var eventType = Str(attributes, "eventType");
            var bucket = Str(attributes, "bucketId");
            var name = Str(attributes, "objectId");
            var generationText = Str(attributes, "objectGeneration");
            if (eventType is null || bucket is null || name is null)
            {
                problem = "The notification lacks one of the attributes eventType, bucketId, objectId.";
                return null;
            }
            long generation = 0;
            if (generationText is not null && !long.TryParse(generationText, NumberStyles.None, CultureInfo.InvariantCulture, out generation))
            {
                problem = $"The attribute objectGeneration '{generationText}' is not a number.";
                return null;
            }
            string? traceParent = null;
            if (Str(message, "data") is { } data)
            {
                // The payload is the object resource; it must decode even though the attributes carry what we use.
                byte[] bytes;
                try { bytes = Convert.FromBase64String(data); }
                catch (FormatException) { problem = "The message data is not valid base64."; return null; }
                try
                {
                    using var resource = JsonDocument.Parse(bytes);
                    if (resource.RootElement.ValueKind == JsonValueKind.Object && resource.RootElement.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
                        traceParent = Str(metadata, "traceparent");
                }
                catch (JsonException e) { problem = $"The message data is not a JSON object resource: {e.Message}"; return null; }
            }
            else if (eventType == ObjectFinalize)
            {
                problem = "An OBJECT_FINALIZE message must carry the object resource in data (payload format JSON_API_V1).";
                return null;
            }
            problem = null;
            return new PushEnvelope(messageId, eventType, new ObjectFinalized(bucket, name, generation), traceParent);
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
