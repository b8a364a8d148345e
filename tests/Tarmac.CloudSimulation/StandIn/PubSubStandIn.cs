using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// The bucket's Pub/Sub notification (<c>OBJECT_FINALIZE</c>, payload <c>JSON_API_V1</c>, <c>object_name_prefix</c>) and its
/// push subscription, delivering to one or more process instances, plus the dead-letter topic's pull subscription.
/// <list type="bullet">
/// <item>Envelope: <c>{"message":{"attributes":{bucketId, objectId, objectGeneration, eventType, eventTime, payloadFormat,
/// notificationConfig}, "data": base64(object resource), "messageId", "publishTime"}, "subscription", "deliveryAttempt"}</c>
/// (https://cloud.google.com/storage/docs/pubsub-notifications, https://cloud.google.com/pubsub/docs/push).</item>
/// <item>Auth: <c>Authorization: Bearer &lt;ID token&gt;</c> of the push service account for the audience; with
/// <see cref="StripSignature"/> the signature arrives as <c>SIGNATURE_REMOVED_BY_GOOGLE</c>, as behind Cloud Run IAM
/// (https://cloud.google.com/run/docs/troubleshooting).</item>
/// <item>Ack: a success status (102, 200, 201, 202, 204) acknowledges; any other status, or no answer within the ack
/// deadline, is a nack (https://cloud.google.com/pubsub/docs/push).</item>
/// <item>Retries: exponential backoff between <see cref="MinBackoff"/> and <see cref="MaxBackoff"/>
/// (https://cloud.google.com/pubsub/docs/handling-failures); after <see cref="MaxDeliveryAttempts"/> the message goes to the
/// dead-letter topic (same page), pulled from <c>projects/*/subscriptions/*:pull</c>.</item>
/// <item>At-least-once: <see cref="DuplicateEvery"/>-th acked message is delivered once more; a redelivery may be sent to
/// two instances at once (<see cref="ConcurrentRedelivery"/>): "Pub/Sub offers at-least-once message delivery"
/// (https://cloud.google.com/pubsub/docs/publish-message-overview), and "Push and export subscriptions don't support
/// exactly-once delivery" (https://cloud.google.com/pubsub/docs/exactly-once-delivery).</item>
/// </list>
/// </summary>
public sealed class PubSubStandIn : IAsyncDisposable
{
    private readonly CloudStandIn _host;
    // A push of a storage notification carries no trace context of the upload (none of the publisher's: the bucket published
    // it), so this client sends no traceparent of its own either, whatever this test process traces.
    private readonly HttpClient _http = new(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<DeadLetter> _deadLetters = new();
    private readonly ConcurrentDictionary<string, DeadLetter> _leased = new(StringComparer.Ordinal);
    private readonly List<Uri> _endpoints = [];
    private readonly Lock _lock = new();
    private int _messageIds = 1000;
    private int _acked;
    private int _nextEndpoint;

    internal PubSubStandIn(CloudStandIn host)
    {
        _host = host;
        host.Storage.Finalized += OnFinalized;
    }

    public string Bucket { get; set; } = "tarmac-raw";
    public string ObjectNamePrefix { get; set; } = "raw/";
    public string Subscription { get; set; } = "projects/tarmac-sim/subscriptions/raw-objects-push";
    public string DeadLetterSubscription { get; set; } = "projects/tarmac-sim/subscriptions/raw-objects-dead-letter";
    public string Audience { get; set; } = "https://process.example/pubsub/push";
    public string ServiceAccount { get; set; } = "pusher@tarmac-sim.iam.gserviceaccount.com";
    public bool StripSignature { get; set; } = true;
    public int MaxDeliveryAttempts { get; set; } = 5;
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromMilliseconds(20);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMilliseconds(400);
    public TimeSpan AckDeadline { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Every N-th acked message is delivered again (0: never).</summary>
    public int DuplicateEvery { get; set; }

    /// <summary>Redeliveries go to two instances at once when there are two.</summary>
    public bool ConcurrentRedelivery { get; set; }

    /// <summary>Every push attempt: message id, attempt, endpoint, status (0: no answer).</summary>
    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    /// <summary>Message ids acked by a push endpoint.</summary>
    public ConcurrentBag<string> Acked { get; } = [];

    /// <summary>Messages that reached the dead-letter topic.</summary>
    public ConcurrentQueue<DeadLetter> DeadLettered { get; } = new();

    /// <summary>Ack ids acknowledged on the dead-letter subscription.</summary>
    public ConcurrentBag<string> DeadLetterAcks { get; } = [];

    public void SetEndpoints(params Uri[] endpoints)
    {
        lock (_lock)
        {
            _endpoints.Clear();
            _endpoints.AddRange(endpoints);
        }
    }

    /// <summary>Takes an instance out of the rotation (Cloud Run stopped routing to it).</summary>
    public void RemoveEndpoint(Uri endpoint)
    {
        lock (_lock) _endpoints.Remove(endpoint);
    }

    /// <summary>Completes when every message published so far is acked or dead-lettered.</summary>
    public async Task WhenSettledAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!_inFlight.IsEmpty) await Task.WhenAll(_inFlight.Values).WaitAsync(cts.Token);
    }

    /// <summary>Publishes the notification of an object the way the bucket's notification config would.</summary>
    public string Publish(StoredBlob blob, string eventType = "OBJECT_FINALIZE")
    {
        var id = Interlocked.Increment(ref _messageIds).ToString(CultureInfo.InvariantCulture);
        var message = new JsonObject
        {
            ["attributes"] = new JsonObject
            {
                ["bucketId"] = blob.Bucket, ["objectId"] = blob.Name, ["objectGeneration"] = blob.Generation.ToString(CultureInfo.InvariantCulture),
                ["eventType"] = eventType, ["eventTime"] = blob.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
                ["payloadFormat"] = "JSON_API_V1", ["notificationConfig"] = $"projects/_/buckets/{blob.Bucket}/notificationConfigs/1",
            },
            ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(blob.Resource().ToJsonString())),
            ["messageId"] = id,
            ["message_id"] = id,
            ["publishTime"] = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        };
        message["publish_time"] = message["publishTime"]!.DeepClone();
        // Not a child of whatever request finalized the object (ingest's upload to the stand-in): delivery is Pub/Sub's own.
        _inFlight[id] = Task.Run(() =>
        {
            System.Diagnostics.Activity.Current = null;
            return DeliverAsync(id, message);
        });
        return id;
    }

    private void OnFinalized(StoredBlob blob)
    {
        if (blob.Bucket == Bucket && blob.Name.StartsWith(ObjectNamePrefix, StringComparison.Ordinal)) Publish(blob);
    }

    private async Task DeliverAsync(string id, JsonObject message)
    {
        try
        {
            for (var attempt = 1; attempt <= MaxDeliveryAttempts && !_stop.IsCancellationRequested; attempt++)
            {
                var targets = Targets(attempt);
                var answers = await Task.WhenAll(targets.Select(t => PushAsync(t, id, message, attempt)));
                if (answers.Any(IsAck))
                {
                    Acked.Add(id);
                    if (DuplicateEvery > 0 && Interlocked.Increment(ref _acked) % DuplicateEvery == 0 && Targets(attempt + 1) is [var again, ..])
                        await PushAsync(again, id, message, attempt + 1); // the duplicate of an acked message
                    return;
                }
                var backoff = Math.Min(MaxBackoff.TotalMilliseconds, MinBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1));
                await Task.Delay(TimeSpan.FromMilliseconds(backoff), _stop.Token);
            }
            var dead = new DeadLetter($"dl-{id}", (JsonObject)message.DeepClone(), MaxDeliveryAttempts);
            DeadLettered.Enqueue(dead);
            _deadLetters.Enqueue(dead);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        finally
        {
            _inFlight.TryRemove(id, out _);
        }
    }

    private static bool IsAck(int status) => status is 102 or 200 or 201 or 202 or 204;

    private List<Uri> Targets(int attempt)
    {
        lock (_lock)
        {
            if (_endpoints.Count == 0) return [];
            var first = _endpoints[Interlocked.Increment(ref _nextEndpoint) % _endpoints.Count];
            if (attempt > 1 && ConcurrentRedelivery && _endpoints.Count > 1)
                return [first, _endpoints.First(e => e != first)];
            return [first];
        }
    }

    private async Task<int> PushAsync(Uri endpoint, string id, JsonObject message, int attempt)
    {
        var envelope = new JsonObject { ["message"] = message.DeepClone(), ["subscription"] = Subscription, ["deliveryAttempt"] = attempt };
        var token = _host.Identity.Mint(Audience, ServiceAccount);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", StripSignature ? IdentityStandIn.Strip(token) : token);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(AckDeadline);
        var status = 0;
        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            status = (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException) { }
        Deliveries.Enqueue(new Delivery(id, attempt, endpoint, status));
        return status;
    }

    /// <summary>
    /// <c>:pull</c> answers up to <c>maxMessages</c> dead-lettered messages, leased until acknowledged (an unacknowledged
    /// lease is returned to the queue at the next pull: the ack deadline is short here); <c>:acknowledge</c> settles them.
    /// https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/pull
    /// </summary>
    internal async Task ServeAsync(string route, StandInRequest r)
    {
        var subscription = string.Join('/', r.Segments.SkipWhile(s => s != "projects")).Split(':')[0];
        if (subscription != DeadLetterSubscription) { await Problem.Write(r.Context, 404, "notFound", $"Resource not found (resource={subscription})."); return; }
        if (route == "pubsub.pull")
        {
            foreach (var (ackId, lease) in _leased) if (_leased.TryRemove(ackId, out _)) _deadLetters.Enqueue(lease);
            var max = r.Json?["maxMessages"]?.GetValue<int>() ?? 100;
            var received = new JsonArray();
            while (received.Count < max && _deadLetters.TryDequeue(out var dead))
            {
                var ackId = $"{dead.AckId}-{Guid.NewGuid():N}";
                _leased[ackId] = dead;
                received.Add(new JsonObject { ["ackId"] = ackId, ["message"] = dead.Message.DeepClone(), ["deliveryAttempt"] = dead.Attempts });
            }
            await Problem.Json(r.Context, 200, new JsonObject { ["receivedMessages"] = received });
            return;
        }
        foreach (var ackId in r.Json?["ackIds"]?.AsArray().Select(a => a!.GetValue<string>()) ?? [])
            if (_leased.TryRemove(ackId, out _)) DeadLetterAcks.Add(ackId);
        await Problem.Json(r.Context, 200, new JsonObject());
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        try { await Task.WhenAll(_inFlight.Values).WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}
