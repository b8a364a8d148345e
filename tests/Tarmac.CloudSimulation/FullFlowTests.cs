using System.Net;
using Tarmac.CloudSimulation.Harness;
using static Tarmac.CloudSimulation.Harness.Flow;

namespace Tarmac.CloudSimulation;

/// <summary>
/// POST → bucket notification → push → load → <c>/getdata</c>, with ingest, process and query as separate hosts against
/// the stand-in, checked field by field.
/// </summary>
public sealed class FullFlowTests
{
    /// <summary>
    /// The harness itself, on the platform behaviours today's code can take: the push token arrives signed (Cloud Run
    /// invoker check off) and streamed rows are visible at once. Every later test removes one of those allowances.
    /// </summary>
    [Fact]
    public async Task An_upload_is_pushed_loaded_and_served_field_by_field_when_the_platform_is_lenient()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            s.PubSub.StripSignature = false;
            s.BigQuery.StreamingDelay = TimeSpan.Zero;
        });

        var id = await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));

        AssertRowsEqual(SeedCsv, await RowsWhenLoadedAsync(d, 7));
        Assert.Equal(7, RowCopies(d).Count);
        Assert.All(RowCopies(d).Values, n => Assert.Equal(1, n));
        // The flush records the outcome right after its job commits: the status follows the rows closely.
        await EventuallyAsync(async () => await StatusTextAsync(d, id) == "loaded", "status loaded");
        var load = Assert.Single(d.StandIn.BigQuery.LoadJobs);
        Assert.Null(load["status"]!["errorResult"]);
    }

    // https://cloud.google.com/run/docs/troubleshooting: behind Cloud Run IAM the token arrives as header.payload.SIGNATURE_REMOVED_BY_GOOGLE.
    [Fact]
    public async Task An_upload_is_loaded_when_Cloud_Run_IAM_strips_the_push_token_signature()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s => s.BigQuery.StreamingDelay = TimeSpan.Zero);

        await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(d.StandIn.PubSub.DeadLettered);
        AssertRowsEqual(SeedCsv, await RowsWhenLoadedAsync(d, 7));
    }

    // https://cloud.google.com/bigquery/docs/streaming-data-into-bigquery: streamed rows are available "within a few seconds".
    [Fact]
    public async Task Status_is_readable_right_after_the_POST_while_streamed_rows_are_not_yet_visible()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s => s.BigQuery.StreamingDelay = TimeSpan.FromSeconds(3));
        d.StandIn.PubSub.SetEndpoints(); // no push reaches process: the upload stays as ingest left it

        var id = await PostAsync(d, SeedCsv);
        var (status, body) = await StatusAsync(d, id);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, body.GetProperty("upload_id").GetString());
        Assert.Equal("stored", body.GetProperty("status").GetString());
        Assert.Equal(SeedCsv.Length, body.GetProperty("bytes").GetInt64());
    }

    /// <summary>Realistic streaming delay, signed tokens: the process path must not depend on reading back its own streaming inserts.</summary>
    [Fact]
    public async Task Every_accepted_upload_is_loaded_and_final_while_streamed_rows_are_not_yet_visible()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            s.PubSub.StripSignature = false;
            s.BigQuery.StreamingDelay = TimeSpan.FromSeconds(3);
        });

        var id = await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));
        await EventuallyAsync(async () => await StatusTextAsync(d, id) == "loaded", "status loaded");

        AssertRowsEqual(SeedCsv, await RowsWhenLoadedAsync(d, 7));
    }

    // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-json: INT64 beyond ±2^53 must travel as a JSON string.
    [Fact]
    public async Task Integers_beyond_2_pow_53_are_loaded_exactly()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            s.PubSub.StripSignature = false;
            s.BigQuery.StreamingDelay = TimeSpan.Zero;
        });
        var csv = SeedCsvWithIds(9_007_199_254_740_993);

        await PostAsync(d, csv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));

        AssertRowsEqual(csv, await RowsWhenLoadedAsync(d, 7));
        Assert.Equal(0, d.StandIn.BigQuery.PrecisionLosses);
    }
}
