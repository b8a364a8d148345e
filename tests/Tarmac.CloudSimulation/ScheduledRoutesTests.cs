using System.Net;
using Tarmac.CloudSimulation.Harness;
using static Tarmac.CloudSimulation.Harness.Flow;

namespace Tarmac.CloudSimulation;

/// <summary>
/// The lead's new control flow (issue 10): pushes are acked within seconds and loads run on <c>POST /flush</c>
/// (Cloud Scheduler, OIDC); <c>POST /sweep</c> re-drives stuck work and the dead-letter subscription.
/// </summary>
public sealed class ScheduledRoutesTests
{
    private static void Realistic(Tarmac.CloudSimulation.StandIn.CloudStandIn s)
    {
        s.PubSub.StripSignature = true; // behind Cloud Run IAM
        s.BigQuery.StreamingDelay = TimeSpan.FromSeconds(3);
    }

    /// <summary>Signed push tokens and no streaming delay, so each test fails only for the defect it names.</summary>
    private static void Lenient(Tarmac.CloudSimulation.StandIn.CloudStandIn s)
    {
        s.PubSub.StripSignature = false;
        s.BigQuery.StreamingDelay = TimeSpan.Zero;
    }

    // Pub/Sub adapts its push rate to quick success answers (https://cloud.google.com/pubsub/docs/push); the ack deadline
    // here is 5 s, well under the batch window, so a push held until its load is a nack.
    [Fact]
    public async Task Pushes_are_acked_before_any_load_and_POST_flush_runs_the_load()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            Lenient(s);
            s.PubSub.AckDeadline = TimeSpan.FromSeconds(5);
        }, settings: s => s["TARMAC_BATCH_WINDOW_MS"] = "600000");

        var id = await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));

        Assert.All(d.StandIn.PubSub.Deliveries, x => Assert.InRange(x.Status, 200, 299));
        Assert.Empty(d.StandIn.BigQuery.LoadJobs);
        using var flush = await d.SchedulerCallAsync(0, "/flush");
        Assert.True(flush.IsSuccessStatusCode, await flush.Content.ReadAsStringAsync());
        await EventuallyAsync(() => Task.FromResult(d.StandIn.BigQuery.LoadJobs.Any(j => j["status"]!["state"]!.GetValue<string>() == "DONE")), "the flush's load job done");
        var load = Assert.Single(d.StandIn.BigQuery.LoadJobs);
        Assert.Null(load["status"]!["errorResult"]);
        AssertRowsEqual(SeedCsv, await RowsWhenLoadedAsync(d, 7));
        await EventuallyAsync(async () => await StatusTextAsync(d, id) == "loaded", "status loaded");
    }

    // https://cloud.google.com/pubsub/docs/handling-failures: after max delivery attempts the message goes to the dead-letter topic.
    [Fact(Skip = "issue 10 flow (main c0e8e2d): POST /sweep does not pull TARMAC_DEAD_LETTER_SUBSCRIPTION (the contract in briefs/common.md) and re-drives stored uploads only after 10 min, so a dead-lettered upload is not loaded by the sweep; un-skip when it does")]
    public async Task POST_sweep_loads_a_dead_lettered_upload_and_acknowledges_it()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            Lenient(s);
            s.PubSub.MaxDeliveryAttempts = 5;
        });
        // Every push attempt fails (no instance answers), so the notification ends in the dead-letter topic.
        d.StandIn.PubSub.SetEndpoints(new Uri("http://127.0.0.1:9/pubsub/push"));

        await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(40));
        Assert.Single(d.StandIn.PubSub.DeadLettered);

        using var sweep = await d.SchedulerCallAsync(0, "/sweep");
        Assert.True(sweep.IsSuccessStatusCode, await sweep.Content.ReadAsStringAsync());
        using var flush = await d.SchedulerCallAsync(0, "/flush");

        AssertRowsEqual(SeedCsv, await RowsWhenLoadedAsync(d, 7));
        Assert.Single(d.StandIn.PubSub.DeadLetterAcks);
    }

    [Theory]
    [InlineData("/flush")]
    [InlineData("/sweep")]
    public async Task Scheduler_routes_refuse_calls_without_the_pusher_token(string path)
    {
        await using var d = await CloudDeployment.StartAsync(configure: Realistic);

        using var none = await d.Processes[0].Http.PostAsync(path, new StringContent("{}"));
        var otherToken = Tarmac.CloudSimulation.StandIn.IdentityStandIn.Strip(d.StandIn.Identity.Mint(CloudDeployment.Audience, "intruder@elsewhere.iam.gserviceaccount.com"));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}") };
        request.Headers.Authorization = new("Bearer", otherToken);
        using var other = await d.Processes[0].Http.SendAsync(request);
        using var pusher = await d.SchedulerCallAsync(0, path);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.True(pusher.IsSuccessStatusCode, await pusher.Content.ReadAsStringAsync());
    }
}
