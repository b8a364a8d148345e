using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Embedded;
using Tarmac.Testing;
using Tarmac.Tests.Functional;

namespace Tarmac.Tests.Loading;

/// <summary>The whole upload flow again, with every plain upload loaded by the bulk path.</summary>
public sealed class UploadFlowBulkPathTests() : UploadFlowTests(bulkPath: true);

/// <summary>Concurrent small uploads are loaded in batches: one load transaction per batch, each upload exactly once.</summary>
public class MicroBatchingTests
{
    private static async Task<List<string>> PostDistinctAsync(TarmacHost host, int count)
    {
        var header = SampleData.SeedCsv.Split('\n')[0];
        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            host.PostCsvAsync("/upload", $"{header}\n{5000 + i},2013,1,1,517.0,515,2.0,830.0,819,11.0,UA,{i},N1,EWR,IAH,227.0,1400,5,15,2013-01-01 05:00:00,United\n")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var ids = new List<string>();
        foreach (var r in responses) ids.Add((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!);
        foreach (var id in ids) Assert.Equal("loaded", (await host.WaitForOutcomeAsync(id)).GetProperty("status").GetString());
        return ids;
    }

    private static (long Rows, long Distinct) CountRows(TarmacHost host)
    {
        using var c = host.Services.GetRequiredService<DuckDbDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT _upload_id) FROM flights";
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    [Fact]
    public async Task Concurrent_uploads_within_one_window_load_in_one_transaction()
    {
        // A window far longer than the posts take and a batch cap of exactly the uploads sent: the pump closes the
        // batch when the last one arrives, so the count below does not depend on how fast the machine is.
        const int uploads = 40;
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_BATCH_WINDOW_MS"] = "120000", ["TARMAC_BATCH_MAX_UPLOADS"] = $"{uploads}" });
        var warehouse = host.Services.GetRequiredService<DuckDbWarehouseLoader>();
        var before = warehouse.LoadTransactions;
        await PostDistinctAsync(host, uploads);
        Assert.Equal(1, warehouse.LoadTransactions - before);
        Assert.Equal((40L, 40L), CountRows(host));
    }

    [Fact]
    public async Task A_batch_cap_splits_the_uploads_into_that_many_transactions()
    {
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_BATCH_WINDOW_MS"] = "120000", ["TARMAC_BATCH_MAX_UPLOADS"] = "10" });
        var warehouse = host.Services.GetRequiredService<DuckDbWarehouseLoader>();
        var before = warehouse.LoadTransactions;
        await PostDistinctAsync(host, 50);
        Assert.Equal(5, warehouse.LoadTransactions - before);
        Assert.Equal((50L, 50L), CountRows(host));
        // Every transaction is counted, timed (whole and its commit), and the backlog it left is 0.
        var metrics = await host.Http.GetStringAsync("/metrics");
        double committed = warehouse.LoadTransactions;
        Assert.Equal(committed, PrometheusText.Value(metrics, "tarmac_load_transactions_total"));
        Assert.Equal(committed, PrometheusText.Value(metrics, "tarmac_load_duration_seconds_count", "committed=\"true\""));
        Assert.Null(PrometheusText.Value(metrics, "tarmac_load_duration_seconds_count", "committed=\"false\""));
        Assert.Equal(committed, PrometheusText.Value(metrics, "tarmac_load_commit_duration_seconds_count"));
        // Seconds, not the SDK's millisecond bounds: a commit's bucket bound is under a second.
        Assert.NotNull(PrometheusText.Value(metrics, "tarmac_load_commit_duration_seconds_bucket", "le=\"0.005\""));
        Assert.Equal(0, PrometheusText.Value(metrics, "tarmac_loads_pending"));
    }
}
