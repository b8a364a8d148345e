using Tarmac.CloudSimulation.Harness;
using static Tarmac.CloudSimulation.Harness.Flow;

namespace Tarmac.CloudSimulation;

/// <summary>
/// Nothing accepted is lost or loaded twice when Pub/Sub delivers at least once (duplicates, concurrent redeliveries to two
/// instances, https://cloud.google.com/pubsub/docs/publish-message-overview), Google's APIs fail in bursts, and an instance dies mid-batch.
/// </summary>
public sealed class ExactlyOnceTests
{
    private static void Lenient(Tarmac.CloudSimulation.StandIn.CloudStandIn s)
    {
        s.PubSub.StripSignature = false;
        s.BigQuery.StreamingDelay = TimeSpan.Zero;
    }

    private static void AssertEveryRowOnce(CloudDeployment d, int uploads)
    {
        var copies = RowCopies(d);
        Assert.Equal(uploads * 7, copies.Count);
        Assert.All(copies, kv => Assert.True(kv.Value == 1, $"{kv.Key} is loaded {kv.Value} times"));
    }

    [Fact]
    public async Task Duplicated_deliveries_and_bursts_of_429_and_5xx_still_load_every_row_once()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            Lenient(s);
            s.PubSub.DuplicateEvery = 1;
            s.Faults.Bursts("bigquery.insertAll", 503, length: 2, probability: 0.3, maxBursts: 4)
                .Bursts("bigquery.query", 429, length: 2, probability: 0.2, maxBursts: 4)
                .Bursts("storage.get", 503, length: 1, probability: 0.2, maxBursts: 3);
        });

        foreach (var first in new[] { 100L, 200L, 300L }) await PostAsync(d, SeedCsvWithIds(first));
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));

        await RowsWhenLoadedAsync(d, 21);
        AssertEveryRowOnce(d, 3);
        Assert.Empty(d.StandIn.PubSub.DeadLettered);
    }

    // A load job can end DONE with errorResult and load nothing (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job);
    // its id stays taken (a new insert with it answers 409, https://cloud.google.com/bigquery/docs/error-messages), so the
    // retry must load under another id, and once.
    [Fact]
    public async Task A_load_job_that_fails_is_retried_and_loads_every_row_once()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            Lenient(s);
            s.BigQuery.FailNextLoadJobs(2, "backendError");
        });

        await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));

        AssertRowsEqual(SeedCsv, await FlushUntilLoadedAsync(d, 0, 7));
        AssertEveryRowOnce(d, 1);
        var jobs = d.StandIn.BigQuery.LoadJobs.ToList();
        Assert.Equal(2, jobs.Count(j => j["status"]!["errorResult"] is not null));
        Assert.Single(jobs, j => j["status"]!["state"]!.GetValue<string>() == "DONE" && j["status"]!["errorResult"] is null);
    }

    [Fact]
    public async Task Concurrent_redeliveries_to_two_process_instances_load_every_row_once()
    {
        await using var d = await CloudDeployment.StartAsync(processes: 2, configure: s =>
        {
            Lenient(s);
            s.PubSub.ConcurrentRedelivery = true;
            s.PubSub.DuplicateEvery = 2;
            // The first load job of each batch is slow, so first deliveries time out and redeliveries overlap the work in flight.
            s.PubSub.AckDeadline = TimeSpan.FromMilliseconds(400);
            s.BigQuery.LoadJobDuration = TimeSpan.FromMilliseconds(600);
        });

        var firsts = Enumerable.Range(1, 6).Select(i => i * 100L).ToList();
        foreach (var first in firsts) await PostAsync(d, SeedCsvWithIds(first));
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(40));

        // Flush until every row is there, as Cloud Scheduler keeps calling it: on a loaded machine a redelivery can still be
        // staging when one flush runs, and the in-process timer waits TARMAC_FLUSH_MIN_INTERVAL_MS (60 s) between flushes.
        await FlushUntilLoadedAsync(d, 0, 7 * firsts.Count);
        AssertEveryRowOnce(d, firsts.Count);
    }

    /// <summary>
    /// Issue 10's interleaving, forced: instance A has staged upload 1 and is about to insert its load job (held here) when
    /// the push of upload 1 passes its ack deadline; the redelivery reaches instance B together with upload 2, so B's batch
    /// is {1, 2} while A's is {1}. Then A's insert goes through. Upload 1 must still be loaded once.
    /// </summary>
    [Fact]
    public async Task A_redelivery_batched_differently_on_another_instance_does_not_load_the_upload_twice()
    {
        CloudDeployment? deployment = null;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heldAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var d = deployment = await CloudDeployment.StartAsync(processes: 2, configure: s =>
        {
            Lenient(s);
            s.PubSub.AckDeadline = TimeSpan.FromSeconds(2);
            s.PubSub.MinBackoff = TimeSpan.FromMilliseconds(300);
            s.BeforeServe = async (route, ctx, _) =>
            {
                if (route != "bigquery.jobs.insert" || !held.TrySetResult()) return false;
                ctx.Items["held"] = true;
                deployment!.StandIn.PubSub.SetEndpoints(new Uri(deployment.Processes[1].BaseUri, "/pubsub/push"));
                await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
                return false;
            };
            s.AfterServe = (_, ctx) => { if (ctx.Items.ContainsKey("held")) heldAnswered.TrySetResult(); };
        }, settings: s => s["TARMAC_BATCH_WINDOW_MS"] = "500");
        d.StandIn.PubSub.SetEndpoints(new Uri(d.Processes[0].BaseUri, "/pubsub/push"));

        await PostAsync(d, SeedCsvWithIds(100));
        var first = "1001";
        // A either holds the push past its deadline (today) or has acked it already (a push answered within seconds).
        await EventuallyAsync(() => Task.FromResult(d.StandIn.PubSub.Deliveries.Any(x => x.MessageId == first && x.Status == 0) || d.StandIn.PubSub.Acked.Contains(first)), "upload 1 nacked or acked");
        await PostAsync(d, SeedCsvWithIds(200));
        await EventuallyAsync(() => Task.FromResult(d.StandIn.PubSub.Acked.Distinct().Count() >= 2), "both uploads acked");
        // B's flush may itself be the held insert (when A's timer has not flushed yet): release while it runs.
        var flushB = d.SchedulerCallAsync(1, "/flush");
        release.TrySetResult();
        (await flushB).Dispose();
        if (held.Task.IsCompleted) await heldAnswered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));
        using (await d.SchedulerCallAsync(0, "/flush")) { }
        await EventuallyAsync(() => Task.FromResult(d.StandIn.BigQuery.LoadJobs.All(j => j["status"]!["state"]!.GetValue<string>() == "DONE")), "load jobs done");

        await RowsWhenLoadedAsync(d, 14);
        AssertEveryRowOnce(d, 2);
    }

    /// <summary>
    /// The only instance that received the push dies at a chosen step of its batch; the redelivery goes to the other
    /// instance (Cloud Run stops routing to a dead one). Every row is loaded exactly once whatever the step.
    /// </summary>
    [Fact]
    public Task Killing_the_process_instance_while_its_load_job_runs_still_loads_every_row_once() => KillMidBatchAsync("bigquery.jobs.get");

    [Fact]
    public Task Killing_the_process_instance_before_its_load_job_is_inserted_still_loads_every_row_once() => KillMidBatchAsync("bigquery.jobs.insert");

    private static async Task KillMidBatchAsync(string killAt)
    {
        CloudDeployment? deployment = null;
        var killed = 0;
        await using var d = deployment = await CloudDeployment.StartAsync(processes: 2, configure: s =>
        {
            Lenient(s);
            s.BeforeServe = async (route, ctx, _) =>
            {
                if (route != killAt || Interlocked.Exchange(ref killed, 1) == 1) return false;
                // Cloud Run routes the redelivery to the surviving instance.
                deployment!.StandIn.PubSub.SetEndpoints(new Uri(deployment.Processes[1].BaseUri, "/pubsub/push"));
                await deployment.KillProcessAsync(0);
                ctx.Abort();
                return true;
            };
        });
        d.StandIn.PubSub.SetEndpoints(new Uri(d.Processes[0].BaseUri, "/pubsub/push"));

        await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(40));
        // The instance's flush timer inserts the job after the push was acked.
        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref killed) == 1), $"process 0 killed at {killAt}");

        await FlushUntilLoadedAsync(d, 1, 7);
        AssertEveryRowOnce(d, 1);
    }
}
