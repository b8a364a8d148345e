using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Tarmac.CloudSimulation.StandIn;

namespace Tarmac.CloudSimulation.Harness;

/// <summary>Steps and checks of the full-flow tests.</summary>
public static class Flow
{
    /// <summary>The seed's 7-row test.csv, byte for byte.</summary>
    public static string SeedCsv => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "seed-test.csv"));

    /// <summary>The seed CSV with its ids shifted, so several uploads hold different bytes (and different rows).</summary>
    public static string SeedCsvWithIds(long firstId)
    {
        var lines = SeedCsv.TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.Select((l, i) => i == 0 ? l : (firstId + i - 1).ToString(CultureInfo.InvariantCulture) + l[l.IndexOf(',', StringComparison.Ordinal)..])) + "\n";
    }

    /// <summary>POST /upload on ingest; answers the upload id (the POST must be 200).</summary>
    public static async Task<string> PostAsync(CloudDeployment d, string csv)
    {
        using var response = await d.Ingest.Http.PostAsync("/upload", new StringContent(csv, Encoding.UTF8, "text/csv"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("upload_id").GetString()!;
    }

    /// <summary>Polls <paramref name="done"/> until true (no fixed sleeps: each poll is a real request).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> done, string what, TimeSpan? timeout = null)
    {
        var until = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(25));
        while (!await done())
        {
            if (DateTimeOffset.UtcNow > until) Assert.Fail($"Timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>GET /getdata sorted by id, all rows.</summary>
    public static async Task<JsonElement[]> GetDataAsync(CloudDeployment d, string query = "sort=id&limit=1000")
    {
        using var response = await d.Query.Http.GetAsync($"/getdata?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    /// <summary>Waits until /getdata answers <paramref name="count"/> rows, and returns them.</summary>
    public static async Task<JsonElement[]> RowsWhenLoadedAsync(CloudDeployment d, int count)
    {
        JsonElement[] rows = [];
        await EventuallyAsync(async () => (rows = await GetDataAsync(d)).Length >= count, $"{count} rows in /getdata");
        return rows;
    }

    /// <summary>
    /// Waits until /getdata answers <paramref name="count"/> rows, calling <c>POST /flush</c> on process instance
    /// <paramref name="process"/> before each look, as Cloud Scheduler keeps calling it (today's code has no such route: 404).
    /// </summary>
    public static async Task<JsonElement[]> FlushUntilLoadedAsync(CloudDeployment d, int process, int count)
    {
        JsonElement[] rows = [];
        await EventuallyAsync(async () =>
        {
            using (await d.SchedulerCallAsync(process, "/flush")) { }
            return (rows = await GetDataAsync(d)).Length >= count;
        }, $"{count} rows in /getdata, flushing");
        return rows;
    }

    /// <summary>Each row of <paramref name="csv"/> equals the API row, field by field, typed by schemas/flights.json.</summary>
    public static void AssertRowsEqual(string csv, IReadOnlyList<JsonElement> rows)
    {
        var schema = BqField.FromSchemaFile(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json"));
        var lines = csv.TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        Assert.Equal(lines.Length - 1, rows.Count);
        for (var r = 1; r < lines.Length; r++)
        {
            var cells = lines[r].Split(',');
            var row = rows[r - 1];
            for (var c = 0; c < header.Length; c++)
            {
                var field = schema.Single(f => f.Name == header[c]);
                var actual = row.GetProperty(header[c]);
                var expected = cells[c];
                var where = $"row {r}, field {header[c]}";
                if (expected.Length == 0) { Assert.True(actual.ValueKind == JsonValueKind.Null, where); continue; }
                switch (field.Type)
                {
                    case "INTEGER": Assert.True((long)decimal.Parse(expected, CultureInfo.InvariantCulture) == actual.GetInt64(), $"{where}: {expected} vs {actual}"); break;
                    case "FLOAT": Assert.True(double.Parse(expected, CultureInfo.InvariantCulture) == actual.GetDouble(), $"{where}: {expected} vs {actual}"); break;
                    case "TIMESTAMP":
                        Assert.True(DateTimeOffset.Parse(expected + "Z", CultureInfo.InvariantCulture) == DateTimeOffset.Parse(actual.GetString()!, CultureInfo.InvariantCulture), $"{where}: {expected} vs {actual}");
                        break;
                    default: Assert.True(expected == actual.GetString(), $"{where}: {expected} vs {actual}"); break;
                }
            }
        }
    }

    /// <summary>How many times each (upload, line) is in the flights table, straight from the stand-in's warehouse.</summary>
    public static Dictionary<string, long> RowCopies(CloudDeployment d) =>
        d.StandIn.BigQuery.Query("SELECT `_upload_id`, `_line`, COUNT(*) FROM `tarmac-sim.tarmac_ds.flights` GROUP BY 1, 2")
            .ToDictionary(r => $"{r[0]!["v"]}#{r[1]!["v"]}", r => long.Parse(r[2]!["v"]!.GetValue<string>(), CultureInfo.InvariantCulture));

    /// <summary>GET /uploads/{id} on ingest.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> StatusAsync(CloudDeployment d, string uploadId)
    {
        using var response = await d.Ingest.Http.GetAsync($"/uploads/{uploadId}");
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<string?> StatusTextAsync(CloudDeployment d, string uploadId)
    {
        var (status, body) = await StatusAsync(d, uploadId);
        return status == HttpStatusCode.OK ? body.GetProperty("status").GetString() : null;
    }
}
