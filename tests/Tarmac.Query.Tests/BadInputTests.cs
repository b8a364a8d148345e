using System.Net;
using System.Text.Json;

namespace Tarmac.Query.Tests;

/// <summary>Every parameter outside the grammar is a 400 problem naming it and listing what is allowed; hostile input changes nothing.</summary>
public class BadInputTests(LoadedHost fx) : IClassFixture<LoadedHost>
{
    [Theory]
    [InlineData("/getdata?nope=1", "nope", "carrier")]
    [InlineData("/getdata?nope__gt=1", "nope__gt", "dep_delay")]
    [InlineData("/getdata?dep_delay__like=1", "dep_delay__like", "gte")]
    [InlineData("/getdata?dep_delay__startswith=1", "dep_delay__startswith", "between")]
    [InlineData("/getdata?dep_delay=abc", "dep_delay", null)]
    [InlineData("/getdata?id=1.5", "id", null)]
    [InlineData("/getdata?time_hour__gt=yesterday", "time_hour__gt", null)]
    [InlineData("/datasets/typed/rows?d=2024-13-01", "d", null)]
    [InlineData("/datasets/typed/rows?b=maybe", "b", null)]
    [InlineData("/getdata?carrier=", "carrier", null)]
    [InlineData("/getdata?carrier__isnull=yes", "carrier__isnull", "true")]
    [InlineData("/getdata?carrier__between=a", "carrier__between", null)]
    [InlineData("/getdata?fields=id,nope", "fields", "carrier")]
    [InlineData("/getdata?fields=id;DROP%20TABLE%20flights", "fields", "id")]
    [InlineData("/getdata?fields=", "fields", null)]
    [InlineData("/getdata?sort=id%20desc", "sort", "id")]
    [InlineData("/getdata?sort=a,b,c,d", "sort", null)]
    [InlineData("/getdata?sort=id,-id", "sort", null)]
    [InlineData("/getdata?limit=10001", "limit", null)]
    [InlineData("/getdata?limit=1000001&format=csv", "limit", null)]
    [InlineData("/getdata?limit=0", "limit", null)]
    [InlineData("/getdata?limit=ten", "limit", null)]
    [InlineData("/getdata?limit=5&limit=6", "limit", null)]
    [InlineData("/getdata?format=xml", "format", "ndjson")]
    [InlineData("/getdata?count=1", "count", "true")]
    [InlineData("/getdata?cursor=", "cursor", null)]
    [InlineData("/getdata?cursor=garbage", "cursor", null)]
    [InlineData("/getdata?cursor=WzFd.AAAA", "cursor", null)]
    [InlineData("/stats?metrics=median:dep_delay", "metrics", "p95")]
    [InlineData("/stats?metrics=avg:carrier", "metrics", "dep_delay")]
    [InlineData("/stats?metrics=p95:time_hour", "metrics", "arr_delay")]
    [InlineData("/stats?metrics=avg", "metrics", null)]
    [InlineData("/stats?metrics=count,count", "metrics", null)]
    [InlineData("/stats?group_by=nope", "group_by", "carrier")]
    [InlineData("/stats?group_by=a,b,c,d", "group_by", null)]
    [InlineData("/stats?sort=-avg_dep_delay", "sort", "count")]
    [InlineData("/stats?limit=10001", "limit", null)]
    [InlineData("/stats?min_count=-1", "min_count", null)]
    [InlineData("/stats?format=csv", "format", "group_by")]
    [InlineData("/stats?fields=id", "fields", "metrics")]
    public async Task Bad_parameters_are_400_problems_that_name_the_parameter(string url, string parameter, string? allowedContains)
    {
        var response = await fx.Host.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        if (allowedContains is not null)
            Assert.Contains(allowedContains, problem.GetProperty("allowed").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Too_many_in_values_is_a_400_and_one_hundred_is_fine()
    {
        var hundred = string.Join(',', Enumerable.Range(0, 100));
        Assert.Equal(HttpStatusCode.OK, (await fx.Host.Http.GetAsync($"/getdata?id__in={hundred}")).StatusCode);
        var response = await fx.Host.Http.GetAsync($"/getdata?id__in={hundred},100");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("id__in", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task A_cursor_edited_or_replayed_on_another_query_is_refused()
    {
        var first = await fx.Host.Http.GetAsync("/getdata?sort=-dep_delay&limit=5");
        var next = first.NextLink()!;
        Assert.Equal(HttpStatusCode.OK, (await fx.Host.Http.GetAsync(next)).StatusCode);
        var cursor = Uri.UnescapeDataString(next[(next.IndexOf("cursor=", StringComparison.Ordinal) + 7)..]);

        var tampered = cursor[..5] + (cursor[5] == 'A' ? 'B' : 'A') + cursor[6..];
        Assert.Equal(HttpStatusCode.BadRequest, (await fx.Host.Http.GetAsync($"/getdata?sort=-dep_delay&limit=5&cursor={Uri.EscapeDataString(tampered)}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fx.Host.Http.GetAsync($"/getdata?sort=-dep_delay&limit=5&cursor={Uri.EscapeDataString(cursor[..^3])}")).StatusCode);
        // Another query (another sort, another filter) may not reuse it; another page size may.
        Assert.Equal(HttpStatusCode.BadRequest, (await fx.Host.Http.GetAsync($"/getdata?sort=dep_delay&limit=5&cursor={Uri.EscapeDataString(cursor)}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fx.Host.Http.GetAsync($"/getdata?sort=-dep_delay&carrier=UA&limit=5&cursor={Uri.EscapeDataString(cursor)}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fx.Host.Http.GetAsync($"/getdata?sort=-dep_delay&limit=7&cursor={Uri.EscapeDataString(cursor)}")).StatusCode);
    }

    [Theory]
    [InlineData("carrier=UA'%20OR%20'1'%3D'1")]
    [InlineData("carrier=UA%22%20OR%20%221%22%3D%221")]
    [InlineData("carrier__in=UA,x')%20OR%20TRUE%20--")]
    [InlineData("name__startswith=%25")]
    [InlineData("carrier=UA';%20DROP%20TABLE%20flights;%20--")]
    public async Task Injection_attempts_match_only_literal_values_and_change_nothing(string filter)
    {
        var before = (await fx.Host.GetJsonAsync("/datasets/flights")).Body.GetProperty("rows").GetInt64();
        var (response, body) = await fx.Host.GetJsonAsync($"/getdata?{filter}&limit=10000");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ua = fx.Flights.Rows.Count(r => r["carrier"] is "UA");
        Assert.True(body.GetArrayLength() <= (filter.StartsWith("carrier__in") ? ua : 0), $"{body.GetArrayLength()} rows came back");
        Assert.Equal(before, (await fx.Host.GetJsonAsync("/datasets/flights")).Body.GetProperty("rows").GetInt64());
        Assert.Equal(1200, before);
    }
}
