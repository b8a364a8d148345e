using System.Net;
using System.Text.Json;

namespace Tarmac.Query.Tests;

/// <summary>GET /stats and /datasets/{name}/stats against aggregates computed in LINQ.</summary>
public class StatsTests(LoadedHost fx) : IClassFixture<LoadedHost>
{
    private const double Tolerance = 1e-9;

    [Fact]
    public async Task Grouped_metrics_match_linq_and_groups_are_ordered_by_the_group_columns()
    {
        var (response, body) = await fx.Host.GetJsonAsync(
            "/stats?group_by=carrier,origin&metrics=count,sum:dep_time,avg:dep_delay,min:arr_delay,max:arr_delay,p50:dep_delay,p95:arr_delay&month__lte=6");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        var expected = Canon.SortLikeApi(fx.Flights.Rows.Where(r => (long)r["month"]! <= 6), ("carrier", false), ("origin", false))
            .GroupBy(r => (Carrier: r["carrier"] as string, Origin: (string)r["origin"]!)).ToList();
        var groups = body.EnumerateArray().ToList();
        Assert.Equal(expected.Count, groups.Count);
        Assert.Null(groups[^1].GetProperty("carrier").GetString()); // the NULL carrier group sorts last
        for (var i = 0; i < groups.Count; i++)
        {
            var g = groups[i];
            var rows = expected[i].ToList();
            Assert.Equal(["carrier", "origin", "count", "sum_dep_time", "avg_dep_delay", "min_arr_delay", "max_arr_delay", "p50_dep_delay", "p95_arr_delay"], g.EnumerateObject().Select(p => p.Name));
            Assert.Equal(expected[i].Key.Carrier, g.GetProperty("carrier").GetString());
            Assert.Equal(expected[i].Key.Origin, g.GetProperty("origin").GetString());
            Assert.Equal(rows.Count, g.GetProperty("count").GetInt64());
            Assert.Equal(rows.Sum(r => (long?)r["dep_time"]), g.GetProperty("sum_dep_time").GetInt64());
            var arr = rows.Select(r => r["arr_delay"]).OfType<double>().ToList();
            var dep = rows.Select(r => r["dep_delay"]).OfType<double>().ToList();
            Assert.Equal(dep.Average(), g.GetProperty("avg_dep_delay").GetDouble(), Tolerance);
            Assert.Equal(arr.Min(), g.GetProperty("min_arr_delay").GetDouble());
            Assert.Equal(arr.Max(), g.GetProperty("max_arr_delay").GetDouble());
            Assert.Equal(Canon.QuantileCont(dep, 0.5)!.Value, g.GetProperty("p50_dep_delay").GetDouble(), Tolerance);
            Assert.Equal(Canon.QuantileCont(arr, 0.95)!.Value, g.GetProperty("p95_arr_delay").GetDouble(), Tolerance);
        }
    }

    [Fact]
    public async Task Min_count_hides_small_groups_and_sort_by_an_output_key_orders_them()
    {
        var (_, body) = await fx.Host.GetJsonAsync("/stats?group_by=dest,origin&metrics=count,max:distance&min_count=140&sort=-count,max_distance&limit=4");
        var expected = fx.Flights.Rows.GroupBy(r => ((string)r["dest"]!, (string)r["origin"]!))
            .Select(g => (Dest: g.Key.Item1, Origin: g.Key.Item2, Count: g.Count(), Max: g.Max(r => (double)r["distance"]!)))
            .Where(g => g.Count >= 140).OrderByDescending(g => g.Count).ThenBy(g => g.Max).ThenBy(g => g.Dest, StringComparer.Ordinal).ThenBy(g => g.Origin, StringComparer.Ordinal)
            .Take(4).ToList();
        Assert.NotEmpty(expected);
        Assert.True(fx.Flights.Rows.GroupBy(r => ((string)r["dest"]!, (string)r["origin"]!)).Any(g => g.Count() < 140), "min_count should hide something");
        Assert.Equal(expected.Select(e => $"{e.Dest}/{e.Origin}/{e.Count}/{e.Max}"),
            body.EnumerateArray().Select(g => $"{g.GetProperty("dest").GetString()}/{g.GetProperty("origin").GetString()}/{g.GetProperty("count").GetInt64()}/{g.GetProperty("max_distance").GetDouble()}"));
    }

    [Fact]
    public async Task Without_group_by_one_row_aggregates_everything_that_matches()
    {
        var (_, body) = await fx.Host.GetJsonAsync("/stats?carrier__in=UA,AA&metrics=count,sum:distance,p95:dep_delay");
        var rows = fx.Flights.Rows.Where(r => r["carrier"] is "UA" or "AA").ToList();
        var only = Assert.Single(body.EnumerateArray());
        Assert.Equal(rows.Count, only.GetProperty("count").GetInt64());
        Assert.Equal(rows.Sum(r => (double)r["distance"]!), only.GetProperty("sum_distance").GetDouble(), Tolerance);
        Assert.Equal(Canon.QuantileCont(rows.Select(r => r["dep_delay"]).OfType<double>(), 0.95)!.Value, only.GetProperty("p95_dep_delay").GetDouble(), Tolerance);
    }

    [Fact]
    public async Task Numeric_sums_are_exact_and_every_type_can_be_a_group()
    {
        var (response, body) = await fx.Host.GetJsonAsync("/datasets/typed/stats?group_by=b&metrics=count,sum:n,min:n,max:i,avg:i&sort=b");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = Canon.SortLikeApi(fx.Typed.Rows, ("b", false)).GroupBy(r => r["b"]).ToList();
        var groups = body.EnumerateArray().ToList();
        Assert.Equal(expected.Count, groups.Count);
        for (var i = 0; i < groups.Count; i++)
        {
            var rows = expected[i].ToList();
            var g = groups[i];
            Assert.Equal(Canon.Of(expected[i].Key), g.GetProperty("b").ValueKind == JsonValueKind.Null ? "null" : Canon.Of(g.GetProperty("b").GetBoolean()));
            Assert.Equal(rows.Sum(r => r["n"] as decimal?), g.GetProperty("sum_n").GetDecimal());
            Assert.Equal(rows.Min(r => r["n"] as decimal?), g.GetProperty("min_n").GetDecimal());
            Assert.Equal(rows.Max(r => r["i"] as long?), g.GetProperty("max_i").GetInt64());
            Assert.Equal(rows.Select(r => r["i"]).OfType<long>().Average(), g.GetProperty("avg_i").GetDouble(), Tolerance);
        }
        var (_, byDate) = await fx.Host.GetJsonAsync("/datasets/typed/stats?group_by=d&d__isnull=false&sort=-count,d&limit=1");
        var top = fx.Typed.Rows.Where(r => r["d"] is not null).GroupBy(r => (DateOnly)r["d"]!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First();
        Assert.Equal($"{top.Key:yyyy-MM-dd}/{top.Count()}", $"{byDate[0].GetProperty("d").GetString()}/{byDate[0].GetProperty("count").GetInt64()}");
    }

    [Fact]
    public async Task Stats_answers_carry_etag_and_last_modified_and_honour_if_none_match()
    {
        var first = await fx.Host.Http.GetAsync("/stats?group_by=origin");
        Assert.NotNull(first.Content.Headers.LastModified);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/stats?group_by=origin");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await fx.Host.Http.SendAsync(again)).StatusCode);
        Assert.NotEqual(first.Headers.ETag, (await fx.Host.Http.GetAsync("/stats?group_by=carrier")).Headers.ETag);
    }
}
