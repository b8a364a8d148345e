using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Tarmac.GoogleCloud.Push;

/// <summary>One message pulled from the dead-letter subscription: its ack id and its notification, or why it is unreadable.</summary>
public sealed record DeadLetter(string AckId, string? MessageId, PushEnvelope? Envelope, string? Problem);

/// <summary>
/// The pull subscription on the dead-letter topic (<c>TARMAC_DEAD_LETTER_SUBSCRIPTION</c>), over the Pub/Sub REST API:
/// <c>subscriptions.pull</c> and <c>subscriptions.acknowledge</c>
/// (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/pull). A message that is not
/// acknowledged comes back after its ack deadline, so one that cannot be handled yet is simply left for the next sweep.
/// </summary>
public sealed class DeadLetterSubscription(HttpClient http, string? subscription)
{
    /// <summary>Up to <paramref name="max"/> messages (Pub/Sub may return fewer, or none, even when more wait); none when no subscription is set.</summary>
    public async Task<IReadOnlyList<DeadLetter>> PullAsync(int max, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(subscription)) return [];
        using var response = await http.PostAsJsonAsync($"{subscription}:pull", new JsonObject { ["maxMessages"] = max }, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        var letters = new List<DeadLetter>();
        foreach (var received in body?["receivedMessages"]?.AsArray() ?? [])
        {
            var ackId = received?["ackId"]?.GetValue<string>();
            if (ackId is null) continue;
            // A pulled message is the same message object a push carries, so it parses the same way.
            var envelope = new JsonObject { ["message"] = received!["message"]?.DeepClone() };
            var parsed = PushEnvelope.TryParse(Encoding.UTF8.GetBytes(envelope.ToJsonString()), out var messageId, out var problem);
            letters.Add(new DeadLetter(ackId, messageId, parsed, problem));
        }
        return letters;
    }

    /// <summary>Acknowledges messages so they are not delivered again.</summary>
    public async Task AcknowledgeAsync(IReadOnlyCollection<string> ackIds, CancellationToken ct)
    {
        if (ackIds.Count == 0 || string.IsNullOrWhiteSpace(subscription)) return;
        var ids = new JsonArray(ackIds.Select(a => (JsonNode)a).ToArray());
        using var response = await http.PostAsJsonAsync($"{subscription}:acknowledge", new JsonObject { ["ackIds"] = ids }, ct);
        response.EnsureSuccessStatusCode();
    }
}
