using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tarmac.IntegrationTests;

public static partial class DeploymentChecks
{
    /// <summary>
    /// Sends fresh takeoffs as NDJSON to <c>POST /events</c> with one bad line, waits for the outcome, and reads every field
    /// of the good ones back through /getdata: the JSON path through the gateway, ingest, process and the warehouse.
    /// </summary>
    public static async Task EventsReadBackExactlyAsync(HttpClient http, TimeSpan statusWait, int count = 5)
    {
        var idBase = TakeoffRows.NewRunBase();
        var rows = TakeoffRows.Generate(idBase, count);
        var ndjson = new StringBuilder();
        foreach (var r in rows) ndjson.Append(ToJson(r).ToJsonString()).Append('\n');
        ndjson.Append(CultureInfo.InvariantCulture, $"{{\"id\": {idBase + count}, \"year\": \"twenty\", \"month\": 1, \"day\": 1}}\n");
        var content = new StringContent(ndjson.ToString(), Encoding.UTF8);
        content.Headers.ContentType = new("application/x-ndjson");
        using var response = await http.PostAsync("events", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;

        var done = await WaitForOutcomeAsync(http, id, statusWait);
        Assert.Equal("partially_loaded", done.GetProperty("status").GetString());
        Assert.Equal((long)count, done.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(1, done.GetProperty("rows_rejected").GetInt64());
        var error = Assert.Single(done.GetProperty("errors").EnumerateArray());
        Assert.Equal((count + 1L, "year"), (error.GetProperty("line").GetInt64(), error.GetProperty("column").GetString()));

        var back = await GetJsonAsync(http, $"getdata?id__gte={idBase}&id__lte={idBase + count}&sort=id&limit=1000");
        Assert.Equal(count, back.GetArrayLength());
        for (var i = 0; i < count; i++) AssertRow(rows[i], back[i]);
    }

    /// <summary>A takeoff as an airport system would send it: numbers as numbers, a zoned timestamp, absent values as null.</summary>
    private static JsonObject ToJson(Takeoff r) => new()
    {
        ["id"] = r.Id, ["year"] = r.Year, ["month"] = r.Month, ["day"] = r.Day, ["dep_time"] = r.DepTime, ["sched_dep_time"] = r.SchedDepTime,
        ["dep_delay"] = r.DepDelay, ["arr_time"] = r.ArrTime, ["sched_arr_time"] = r.SchedArrTime, ["arr_delay"] = r.ArrDelay,
        ["carrier"] = r.Carrier, ["flight"] = r.Flight, ["tailnum"] = r.Tailnum, ["origin"] = r.Origin, ["dest"] = r.Dest,
        ["air_time"] = r.AirTime, ["distance"] = r.Distance, ["hour"] = r.Hour, ["minute"] = r.Minute,
        ["time_hour"] = r.TimeHour.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), ["name"] = r.Name,
    };
}
