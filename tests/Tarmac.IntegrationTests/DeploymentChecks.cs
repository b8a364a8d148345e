using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Tarmac.IntegrationTests;

/// <summary>
/// What the CD pipeline checks after a deploy. Each check asserts on content — the exact rows and
/// aggregates written by this run — so a server that answers 200 with wrong or empty data fails it.
/// </summary>
public static partial class DeploymentChecks
{
    /// <summary>The statuses after which an upload's status never changes again.</summary>
    private static readonly HashSet<string> FinalStatuses = ["loaded", "partially_loaded", "rejected", "failed"];

    /// <summary>Uploads fresh rows, waits (at most <paramref name="statusWait"/>) until loaded, and reads every field back through /getdata filters.</summary>
    public static async Task<IReadOnlyList<Takeoff>> UploadedRowsReadBackExactlyAsync(HttpClient http, TimeSpan statusWait, int count = 21)
    {
        var idBase = TakeoffRows.NewRunBase();
        var rows = TakeoffRows.Generate(idBase, count);
        var upload = await PostCsvAsync(http, TakeoffRows.ToCsv(rows));
        var done = await WaitForOutcomeAsync(http, upload, statusWait);
        Assert.Equal("loaded", done.GetProperty("status").GetString());
        Assert.Equal(count, done.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(0, done.GetProperty("rows_rejected").GetInt64());

        var back = await GetJsonAsync(http, $"getdata?id__gte={idBase}&id__lte={idBase + count - 1}&sort=id&limit=1000");
        Assert.Equal(JsonValueKind.Array, back.ValueKind);
        Assert.Equal(count, back.GetArrayLength());
        for (var i = 0; i < count; i++) AssertRow(rows[i], back[i]);

        var one = await GetJsonAsync(http, $"getdata?id={rows[5].Id}");
        AssertRow(rows[5], Assert.Single(one.EnumerateArray()));
        return rows;
    }

    /// <summary>/stats over this run's rows equals the aggregates computed here.</summary>
    public static async Task StatsReflectTheRowsAsync(HttpClient http, IReadOnlyList<Takeoff> rows)
    {
        var first = rows[0].Id;
        var last = rows[^1].Id;
        var stats = await GetJsonAsync(http, $"stats?id__gte={first}&id__lte={last}&group_by=carrier&metrics=count,sum:distance,avg:dep_delay,max:arr_delay&sort=carrier");
        var expected = rows.GroupBy(r => r.Carrier).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Count, stats.GetArrayLength());
        for (var i = 0; i < expected.Count; i++)
        {
            var g = expected[i];
            var s = stats[i];
            Assert.Equal(g.Key, s.GetProperty("carrier").GetString());
            Assert.Equal(g.Count(), s.GetProperty("count").GetInt64());
            Assert.Equal(g.Sum(r => r.Distance), s.GetProperty("sum_distance").GetDouble(), 6);
            Assert.Equal(g.Where(r => r.DepDelay is not null).Average(r => r.DepDelay!.Value), s.GetProperty("avg_dep_delay").GetDouble(), 6);
            Assert.Equal(g.Max(r => r.ArrDelay)!.Value, s.GetProperty("max_arr_delay").GetDouble(), 6);
        }
    }

    /// <summary>A file whose every row is bad is rejected, with the line and column of each fault, and loads nothing.</summary>
    public static async Task BadFileIsRejectedWithLineErrorsAsync(HttpClient http, TimeSpan statusWait)
    {
        var idBase = TakeoffRows.NewRunBase();
        var good = TakeoffRows.Generate(idBase, 3);
        var lines = TakeoffRows.ToCsv(good).TrimEnd('\n').Split('\n');
        var csv = string.Join('\n',
            lines[0],
            lines[1].Replace($"{idBase},2013,", $"{idBase},twenty,", StringComparison.Ordinal), // line 2: a text year
            lines[2] + ",extra",                                                                    // line 3: one field too many
            $"{idBase + 2},2013") + "\n";                                                           // line 4: most fields missing
        var upload = await PostCsvAsync(http, csv);
        var done = await WaitForOutcomeAsync(http, upload, statusWait);
        Assert.Equal("rejected", done.GetProperty("status").GetString());
        Assert.Equal(0, done.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(3, done.GetProperty("rows_rejected").GetInt64());
        var errors = done.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("column").ValueKind == JsonValueKind.Null ? null : e.GetProperty("column").GetString()))
            .ToList();
        Assert.Equal([(2L, "year"), (3L, null), (4L, null)], errors);

        var none = await GetJsonAsync(http, $"getdata?id__gte={idBase}&id__lte={idBase + 2}");
        Assert.Equal(0, none.GetArrayLength());
    }

    private static void AssertRow(Takeoff expected, JsonElement actual)
    {
        Assert.Equal(expected.Id, actual.GetProperty("id").GetInt64());
        Assert.Equal(expected.Year, actual.GetProperty("year").GetInt32());
        Assert.Equal(expected.Month, actual.GetProperty("month").GetInt32());
        Assert.Equal(expected.Day, actual.GetProperty("day").GetInt32());
        AssertNullable(expected.DepTime, actual.GetProperty("dep_time"));
        Assert.Equal(expected.SchedDepTime, actual.GetProperty("sched_dep_time").GetInt32());
        AssertNullable(expected.DepDelay, actual.GetProperty("dep_delay"));
        AssertNullable(expected.ArrTime, actual.GetProperty("arr_time"));
        Assert.Equal(expected.SchedArrTime, actual.GetProperty("sched_arr_time").GetInt32());
        AssertNullable(expected.ArrDelay, actual.GetProperty("arr_delay"));
        Assert.Equal(expected.Carrier, actual.GetProperty("carrier").GetString());
        Assert.Equal(expected.Flight, actual.GetProperty("flight").GetString());
        Assert.Equal(expected.Tailnum, actual.GetProperty("tailnum").GetString());
        Assert.Equal(expected.Origin, actual.GetProperty("origin").GetString());
        Assert.Equal(expected.Dest, actual.GetProperty("dest").GetString());
        AssertNullable(expected.AirTime, actual.GetProperty("air_time"));
        Assert.Equal(expected.Distance, actual.GetProperty("distance").GetDouble());
        Assert.Equal(expected.Hour, actual.GetProperty("hour").GetInt32());
        Assert.Equal(expected.Minute, actual.GetProperty("minute").GetInt32());
        Assert.Equal(expected.TimeHour, DateTime.Parse(actual.GetProperty("time_hour").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
        Assert.Equal(expected.Name, actual.GetProperty("name").GetString());
    }

    private static void AssertNullable(double? expected, JsonElement actual)
    {
        if (expected is null) Assert.Equal(JsonValueKind.Null, actual.ValueKind);
        else Assert.Equal(expected.Value, actual.GetDouble());
    }

    private static void AssertNullable(int? expected, JsonElement actual)
    {
        if (expected is null) Assert.Equal(JsonValueKind.Null, actual.ValueKind);
        else Assert.Equal(expected.Value, actual.GetInt32());
    }

    private static async Task<string> PostCsvAsync(HttpClient http, string csv)
    {
        using var response = await http.PostAsync("upload", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("upload_id").GetString();
        Assert.Matches("^[0-9a-f]{32}$", id);
        return id!;
    }

    /// <summary>Polls the upload's status until it is final; fails once <paramref name="statusWait"/> has passed without one.</summary>
    private static async Task<JsonElement> WaitForOutcomeAsync(HttpClient http, string uploadId, TimeSpan statusWait)
    {
        using var cts = new CancellationTokenSource(statusWait);
        var pause = TimeSpan.FromMilliseconds(50);
        var status = "(none yet)";
        try
        {
            while (true)
            {
                var doc = await GetJsonAsync(http, $"uploads/{uploadId}", cts.Token);
                Assert.Equal(uploadId, doc.GetProperty("upload_id").GetString());
                status = doc.GetProperty("status").GetString() ?? "(null)";
                if (FinalStatuses.Contains(status)) return doc;
                await Task.Delay(pause, cts.Token); // polling a status with backoff
                pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 2000));
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Assert.Fail($"upload {uploadId} has no final status after {statusWait.TotalSeconds:0} s ({StatusWait.Variable}); last status: {status}");
            throw; // not reached: Assert.Fail throws
        }
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path, CancellationToken ct = default)
    {
        using var response = await http.GetAsync(path, ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }
}
