using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>A filter token reads exactly the rows its filter allows, whatever the query string asks.</summary>
public sealed class FilterTokenTests : IAsyncLifetime
{
    private TarmacHost _host = null!;
    private HttpClient _ua = null!;

    public async Task InitializeAsync()
    {
        _host = Tokens.AuthHost();
        using var admin = Tokens.Client(_host, Tokens.Admin(_host));
        var loaded = await admin.PostAsync("/upload?wait=true", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
        _ua = Tokens.Client(_host, Tokens.Mint(_host, "united", [Scopes.Read], datasets: ["flights"],
            filters: new() { ["carrier"] = ["UA"] }, rps: 10_000));
    }

    public Task DisposeAsync()
    {
        _ua.Dispose();
        _host.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Rows_counts_and_exports_hold_only_the_filtered_rows()
    {
        var rows = await _ua.GetAsync("/getdata?fields=id,carrier&sort=id&count=true");
        Assert.Equal("3", rows.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal([0L, 1L, 5L], Ids(await rows.Content.ReadFromJsonAsync<JsonElement>()));

        var csv = await _ua.GetStringAsync("/datasets/flights/rows?fields=id,carrier&sort=id&format=csv&limit=100000");
        Assert.Equal("id,carrier\n0,UA\n1,UA\n5,UA\n", csv.Replace("\r\n", "\n", StringComparison.Ordinal));

        var ndjson = await _ua.GetStringAsync("/getdata?fields=id&sort=id&format=ndjson&limit=100000");
        Assert.Equal(["{\"id\":0}", "{\"id\":1}", "{\"id\":5}"], ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Dataset_row_counts_are_of_the_filtered_rows()
    {
        Assert.Equal(3, (await _ua.GetFromJsonAsync<JsonElement>("/datasets/flights")).GetProperty("rows").GetInt64());
        Assert.Equal(3, (await _ua.GetFromJsonAsync<JsonElement>("/datasets"))[0].GetProperty("rows").GetInt64());
    }

    [Fact]
    public async Task Stats_see_only_the_filtered_rows()
    {
        var stats = await _ua.GetFromJsonAsync<JsonElement>("/stats?group_by=carrier&metrics=count");
        var group = Assert.Single(stats.EnumerateArray());
        Assert.Equal(("UA", 3L), (group.GetProperty("carrier").GetString(), group.GetProperty("count").GetInt64()));
    }

    [Fact]
    public async Task The_query_string_cannot_widen_the_filter()
    {
        Assert.Empty(Ids(await _ua.GetFromJsonAsync<JsonElement>("/getdata?carrier=AA&fields=id")));
        Assert.Empty(Ids(await _ua.GetFromJsonAsync<JsonElement>("/getdata?carrier__in=AA,B6,DL&fields=id")));
        Assert.Equal([0L, 1L, 5L], Ids(await _ua.GetFromJsonAsync<JsonElement>("/getdata?carrier__ne=AA&fields=id&sort=id")));
        Assert.Equal([5L], Ids(await _ua.GetFromJsonAsync<JsonElement>("/getdata?origin=EWR&dest=ORD&fields=id")));
    }

    [Fact]
    public async Task A_cursor_walk_visits_exactly_the_filtered_rows()
    {
        var seen = new List<long>();
        var url = "/getdata?fields=id&sort=id&limit=1";
        while (url is not null)
        {
            var page = await _ua.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            seen.AddRange(Ids(await page.Content.ReadFromJsonAsync<JsonElement>()));
            url = page.Headers.TryGetValues("Link", out var links) ? links.Single().Split('<', '>')[1] : null;
        }
        Assert.Equal([0L, 1L, 5L], seen);
    }

    [Fact]
    public async Task A_filter_on_a_column_the_dataset_lacks_is_refused_not_ignored()
    {
        using var odd = Tokens.Client(_host, Tokens.Mint(_host, "odd", [Scopes.Read], filters: new() { ["airline_code"] = ["UA"] }));
        var response = await odd.GetAsync("/getdata");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await odd.GetAsync("/stats?group_by=carrier")).StatusCode);
    }

    private static List<long> Ids(JsonElement rows) => rows.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToList();
}
