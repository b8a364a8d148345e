using System.Net;
using System.Text.Json;
using Tarmac.CloudSimulation.Harness;
using static Tarmac.CloudSimulation.Harness.Flow;

namespace Tarmac.CloudSimulation;

/// <summary>
/// The query service's rendered GoogleSQL is executed by the stand-in (DuckDB after the documented translation), through
/// <c>jobComplete: false</c> polls and results split over pages, so its SQL, parameters and paging are proven, not recorded.
/// </summary>
public sealed class QueryFlowTests
{
    private static async Task<CloudDeployment> LoadedAsync()
    {
        var d = await CloudDeployment.StartAsync(configure: s =>
        {
            s.PubSub.StripSignature = false;
            s.BigQuery.StreamingDelay = TimeSpan.Zero;
            s.BigQuery.DefaultPageRows = 2; // every result of more than two rows needs page tokens
            s.BigQuery.QueryPollsBeforeComplete = 1; // every query answers jobComplete: false once
        });
        await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));
        await RowsWhenLoadedAsync(d, 7);
        return d;
    }

    [Fact]
    public async Task Getdata_filters_sorts_and_pages_on_the_executed_SQL()
    {
        await using var d = await LoadedAsync();

        var ua = await GetDataAsync(d, "carrier=UA&sort=-dep_delay&fields=id,carrier,dep_delay,time_hour");
        var some = await GetDataAsync(d, "origin__in=JFK,LGA&dep_time__gte=540&tailnum__startswith=N6&sort=id");

        Assert.Equal([(1L, 4.0), (0L, 2.0), (5L, -4.0)], ua.Select(r => (r.GetProperty("id").GetInt64(), r.GetProperty("dep_delay").GetDouble())));
        Assert.All(ua, r => Assert.Equal("2013-01-01T05:00:00Z", r.GetProperty("time_hour").GetString()));
        Assert.Equal([2L, 4L], some.Select(r => r.GetProperty("id").GetInt64()));
        Assert.Contains(d.StandIn.BigQuery.QueriesReceived, q => q.Contains("`tarmac-sim.tarmac_ds.flights`", StringComparison.Ordinal));
        Assert.True(d.StandIn.Count("bigquery.getQueryResults") > 0);
    }

    [Fact]
    public async Task A_keyset_page_walk_over_Link_headers_returns_every_row_once()
    {
        await using var d = await LoadedAsync();
        var ids = new List<long>();
        string? next = "/getdata?sort=-dep_delay,id&limit=3&fields=id";

        while (next is not null)
        {
            using var response = await d.Query.Http.GetAsync(next);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            ids.AddRange(JsonDocument.Parse(body).RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
            var link = response.Headers.TryGetValues("Link", out var values) ? string.Join(",", values) : "";
            var m = System.Text.RegularExpressions.Regex.Match(link, "<([^>]+)>;\\s*rel=\"next\"");
            next = m.Success ? m.Groups[1].Value : null;
        }

        // dep_delay 2, 4, 2, -1, -6, -4, -5 for ids 0..6: descending, ties by id.
        Assert.Equal([1L, 0L, 2L, 3L, 5L, 6L, 4L], ids);
    }

    [Fact]
    public async Task Stats_aggregates_with_the_dialects_percentile_and_casts()
    {
        await using var d = await LoadedAsync();

        using var response = await d.Query.Http.GetAsync("/stats?group_by=carrier&metrics=count,sum:distance,avg:dep_delay,p50:dep_delay,min:dep_time,max:arr_time&sort=carrier");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var groups = JsonDocument.Parse(body).RootElement.EnumerateArray().ToDictionary(g => g.GetProperty("carrier").GetString()!);
        Assert.Equal(["AA", "B6", "DL", "UA"], groups.Keys.Order(StringComparer.Ordinal));
        var ua = groups["UA"];
        Assert.Equal(3, ua.GetProperty("count").GetInt64());
        Assert.Equal(3535.0, ua.GetProperty("sum_distance").GetDouble());
        Assert.Equal(2.0 / 3.0, ua.GetProperty("avg_dep_delay").GetDouble(), 12);
        Assert.Equal(2.0, ua.GetProperty("p50_dep_delay").GetDouble());
        Assert.Equal(517, ua.GetProperty("min_dep_time").GetInt64());
        Assert.Equal(850, ua.GetProperty("max_arr_time").GetInt64());
        Assert.Equal(2, groups["B6"].GetProperty("count").GetInt64());
    }
}
