using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tarmac.CloudSimulation.Harness;
using Tarmac.CloudSimulation.StandIn;
using Tarmac.GoogleCloud.Push;

namespace Tarmac.CloudSimulation;

/// <summary>The OIDC issuer, IAM signBlob and the Pub/Sub push deliverer behave as Google documents them.</summary>
public sealed class PushStandInTests : IAsyncLifetime
{
    private const string Bucket = "tarmac-raw";
    private readonly CloudStandIn _standIn = new();
    private readonly PushReceiver _a = new();
    private readonly PushReceiver _b = new();

    public Task InitializeAsync()
    {
        var push = _standIn.PubSub;
        push.Bucket = Bucket;
        push.SetEndpoints(_a.Endpoint);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _standIn.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private async Task SettleAsync() => await _standIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(20));

    [Fact]
    public async Task Minted_ID_tokens_verify_against_the_JWKS_with_Google_claims()
    {
        var token = _standIn.Identity.Mint("https://process.example", "pusher@p.iam.gserviceaccount.com");

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "https://accounts.google.com",
            ValidAudience = "https://process.example",
            IssuerSigningKeys = new JsonWebKeySet(_standIn.Identity.Jwks).GetSigningKeys(),
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("pusher@p.iam.gserviceaccount.com", result.Claims["email"]);
        Assert.Equal(true, result.Claims["email_verified"]);
        Assert.Equal("RS256", new JsonWebToken(token).Alg);
    }

    // https://cloud.google.com/run/docs/troubleshooting: behind Cloud Run IAM the signature arrives as SIGNATURE_REMOVED_BY_GOOGLE.
    [Fact]
    public async Task Pushes_carry_the_ID_token_with_its_signature_stripped_as_Cloud_Run_IAM_leaves_it()
    {
        _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u1.csv", "a\n1\n"u8.ToArray());
        await SettleAsync();

        var push = Assert.Single(_a.Received);
        var parts = push.Authorization["Bearer ".Length..].Split('.');
        Assert.Equal(3, parts.Length);
        Assert.Equal(IdentityStandIn.RemovedSignature, parts[2]);
        var claims = new JsonWebToken(string.Join('.', parts[0], parts[1], ""));
        Assert.Equal("https://accounts.google.com", claims.Issuer);
        Assert.Equal(_standIn.PubSub.Audience, Assert.Single(claims.Audiences));
        Assert.Equal(_standIn.PubSub.ServiceAccount, claims.GetClaim("email").Value);
        // The signed form fails signature checks once stripped: only its claims can be checked.
        var check = await new JsonWebTokenHandler().ValidateTokenAsync(push.Authorization["Bearer ".Length..], new TokenValidationParameters
        {
            ValidIssuer = "https://accounts.google.com", ValidAudience = _standIn.PubSub.Audience, IssuerSigningKeys = new JsonWebKeySet(_standIn.Identity.Jwks).GetSigningKeys(),
        });
        Assert.False(check.IsValid);
    }

    [Fact]
    public async Task The_envelope_is_a_storage_notification_that_Tarmac_parses_and_only_raw_objects_are_announced()
    {
        var blob = _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u2.csv", "a\n1\n"u8.ToArray());
        _standIn.Storage.Put(Bucket, "state/uploads/u2.json", "{}"u8.ToArray());
        _standIn.Storage.Put("other-bucket", "raw/flights/x.csv", "a\n"u8.ToArray());
        await SettleAsync();

        var push = Assert.Single(_a.Received);
        var parsed = PushEnvelope.TryParse(Encoding.UTF8.GetBytes(push.Envelope.ToJsonString()), out _, out var problem);
        Assert.Null(problem);
        Assert.Equal(new Tarmac.Core.Ports.ObjectFinalized(Bucket, blob.Name, blob.Generation), parsed!.Object);
        Assert.Equal("OBJECT_FINALIZE", parsed.EventType);
        var resource = JsonNode.Parse(Convert.FromBase64String(push.Envelope["message"]!["data"]!.GetValue<string>()))!;
        Assert.Equal(blob.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture), resource["generation"]!.GetValue<string>());
        Assert.Equal("JSON_API_V1", push.Envelope["message"]!["attributes"]!["payloadFormat"]!.GetValue<string>());
    }

    // https://cloud.google.com/pubsub/docs/handling-failures: a nack is redelivered with exponential backoff.
    [Fact]
    public async Task A_non_2xx_answer_is_retried_until_an_ack()
    {
        _a.Respond = p => Task.FromResult(p.DeliveryAttempt < 3 ? 503 : 204);
        _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u3.csv", "a\n"u8.ToArray());
        await SettleAsync();

        Assert.Equal([1, 2, 3], _a.Received.Select(p => p.DeliveryAttempt));
        Assert.Equal([503, 503, 204], _standIn.PubSub.Deliveries.Select(d => d.Status));
        Assert.Single(_standIn.PubSub.Acked);
        Assert.Empty(_standIn.PubSub.DeadLettered);
    }

    // Same page: after max delivery attempts the message goes to the dead-letter topic, read with the Pub/Sub REST API.
    [Fact]
    public async Task After_the_last_attempt_the_message_is_dead_lettered_and_served_by_the_pull_subscription()
    {
        _standIn.PubSub.MaxDeliveryAttempts = 5;
        _a.Respond = _ => Task.FromResult(500);
        _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u4.csv", "a\n"u8.ToArray());
        await SettleAsync();
        Assert.Equal(5, _a.Received.Count);
        using var http = new HttpClient();
        var sub = _standIn.PubSubEndpoint + _standIn.PubSub.DeadLetterSubscription;

        var pulled = await (await http.PostAsJsonAsync(sub + ":pull", new { maxMessages = 10 })).Content.ReadFromJsonAsync<JsonObject>();

        var message = Assert.Single(pulled!["receivedMessages"]!.AsArray())!;
        Assert.Equal("raw/flights/2026-11-28/u4.csv", message["message"]!["attributes"]!["objectId"]!.GetValue<string>());
        Assert.Equal(5, message["deliveryAttempt"]!.GetValue<int>());
        using var ack = await http.PostAsJsonAsync(sub + ":acknowledge", new { ackIds = new[] { message["ackId"]!.GetValue<string>() } });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var again = await (await http.PostAsJsonAsync(sub + ":pull", new { maxMessages = 10 })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Empty(again!["receivedMessages"]!.AsArray());
        Assert.Single(_standIn.PubSub.DeadLetterAcks);
    }

    [Fact]
    public async Task An_unacknowledged_pull_lease_is_delivered_again()
    {
        _standIn.PubSub.MaxDeliveryAttempts = 1;
        _a.Respond = _ => Task.FromResult(500);
        _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u5.csv", "a\n"u8.ToArray());
        await SettleAsync();
        using var http = new HttpClient();
        var sub = _standIn.PubSubEndpoint + _standIn.PubSub.DeadLetterSubscription;

        var first = await (await http.PostAsJsonAsync(sub + ":pull", new { maxMessages = 10 })).Content.ReadFromJsonAsync<JsonObject>();
        var second = await (await http.PostAsJsonAsync(sub + ":pull", new { maxMessages = 10 })).Content.ReadFromJsonAsync<JsonObject>();

        Assert.Single(first!["receivedMessages"]!.AsArray());
        Assert.Single(second!["receivedMessages"]!.AsArray());
    }

    // https://cloud.google.com/pubsub/docs/publish-message-overview: at-least-once; an acked message may be delivered again.
    [Fact]
    public async Task Acked_messages_are_sometimes_delivered_again()
    {
        _standIn.PubSub.DuplicateEvery = 1;
        _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u6.csv", "a\n"u8.ToArray());
        await SettleAsync();

        Assert.Equal(2, _a.Received.Count);
        Assert.Single(_a.Received.Select(p => p.MessageId).Distinct());
    }

    [Fact]
    public async Task A_redelivery_can_reach_two_instances_at_the_same_time()
    {
        _standIn.PubSub.SetEndpoints(_a.Endpoint, _b.Endpoint);
        _standIn.PubSub.ConcurrentRedelivery = true;
        using var both = new CountdownEvent(2);
        var firstSeen = 0;
        Task<int> Respond(ReceivedPush p)
        {
            if (p.DeliveryAttempt == 1 && Interlocked.Exchange(ref firstSeen, 1) == 0) return Task.FromResult(503);
            // Each redelivery waits until the other instance has its copy too: only concurrent deliveries get through.
            both.Signal();
            return Task.FromResult(both.Wait(TimeSpan.FromSeconds(10)) ? 200 : 500);
        }
        _a.Respond = Respond;
        _b.Respond = Respond;
        _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u7.csv", "a\n"u8.ToArray());
        await SettleAsync();

        var redeliveries = _a.Received.Concat(_b.Received).Where(p => p.DeliveryAttempt == 2).ToList();
        Assert.Equal(2, redeliveries.Count);
        Assert.Single(_a.Received, p => p.DeliveryAttempt == 2);
        Assert.Single(_b.Received, p => p.DeliveryAttempt == 2);
        Assert.All(_standIn.PubSub.Deliveries.Where(d => d.Attempt == 2), d => Assert.Equal(200, d.Status));
    }

    [Fact]
    public async Task An_answer_slower_than_the_ack_deadline_is_a_nack()
    {
        _standIn.PubSub.AckDeadline = TimeSpan.FromMilliseconds(200);
        _standIn.PubSub.MaxDeliveryAttempts = 2;
        using var release = new SemaphoreSlim(0);
        _a.Respond = async p =>
        {
            if (p.DeliveryAttempt == 1) await release.WaitAsync(TimeSpan.FromSeconds(10));
            return 204;
        };
        _standIn.Storage.Put(Bucket, "raw/flights/2026-11-28/u8.csv", "a\n"u8.ToArray());
        await SettleAsync();
        release.Release();

        Assert.Equal([0, 204], _standIn.PubSub.Deliveries.OrderBy(d => d.Attempt).Select(d => d.Status));
    }

    // IAM signBlob signs with the service account's key (PKCS#1 v1.5, SHA-256).
    [Fact]
    public async Task SignBlob_answers_a_signature_that_verifies_with_the_account_key()
    {
        using var http = new HttpClient();
        var payload = "GOOG4-RSA-SHA256\n20261128T100000Z\n..."u8.ToArray();

        var answer = await (await http.PostAsJsonAsync($"{_standIn.IamEndpoint}projects/-/serviceAccounts/ingest@p.iam.gserviceaccount.com:signBlob",
            new { payload = Convert.ToBase64String(payload) })).Content.ReadFromJsonAsync<JsonObject>();

        Assert.True(_standIn.Identity.Verify(payload, Convert.FromBase64String(answer!["signedBlob"]!.GetValue<string>())));
        Assert.False(_standIn.Identity.Verify("other"u8.ToArray(), Convert.FromBase64String(answer["signedBlob"]!.GetValue<string>())));
    }
}
