using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tarmac.CloudSimulation.Harness;
using Tarmac.CloudSimulation.StandIn;
using static Tarmac.CloudSimulation.Harness.Flow;

namespace Tarmac.CloudSimulation;

/// <summary>
/// Issue 14, item 2 on the Google Cloud path: an NDJSON body posted to ingest's <c>/events</c> is stored as sent in the raw
/// bucket (<c>.ndjson</c>), announced by the bucket notification, read by process from Cloud Storage with the JSON reader its
/// name selects, staged and loaded by one BigQuery load job, and served by query field by field.
/// </summary>
public sealed class EventsFlowTests
{
    [Fact]
    public async Task An_ndjson_body_is_stored_pushed_loaded_and_served_field_by_field()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s => s.BigQuery.StreamingDelay = TimeSpan.Zero);
        var ndjson = SeedAsNdjson() + "{\"id\": 99, \"year\": \"twenty\", \"month\": 1, \"day\": 1}\n";

        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ndjson));
        content.Headers.ContentType = new("application/x-ndjson");
        using var response = await d.Ingest.Http.PostAsync("/events", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var posted = JsonDocument.Parse(text).RootElement;
        var id = posted.GetProperty("upload_id").GetString()!;
        var objectName = posted.GetProperty("object").GetString()!;
        Assert.EndsWith($"/{id}.ndjson", objectName);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));

        AssertRowsEqual(SeedCsv, await RowsWhenLoadedAsync(d, 7));
        Assert.Equal(Enumerable.Range(1, 7).Select(l => $"{id}#{l}").Order(), RowCopies(d).Keys.Order()); // _line is the NDJSON line
        Assert.All(RowCopies(d).Values, n => Assert.Equal(1, n));
        Assert.Single(d.StandIn.BigQuery.LoadJobs);
        await EventuallyAsync(async () => await StatusTextAsync(d, id) == "partially_loaded", "status partially_loaded");
        var (_, status) = await StatusAsync(d, id);
        Assert.Equal((7L, 1L), (status.GetProperty("rows_loaded").GetInt64(), status.GetProperty("rows_rejected").GetInt64()));
        Assert.Equal("""[{"line":8,"column":"year","value":"twenty","reason":"must be an integer"}]""", status.GetProperty("errors").GetRawText());
    }

    /// <summary>The seed's rows as NDJSON: numbers as JSON numbers, text as strings, empty fields as null.</summary>
    private static string SeedAsNdjson()
    {
        var schema = BqField.FromSchemaFile(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json"));
        var lines = SeedCsv.TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        var b = new StringBuilder();
        foreach (var line in lines.Skip(1))
        {
            var record = new JsonObject();
            var cells = line.Split(',');
            for (var c = 0; c < header.Length; c++)
            {
                var type = schema.Single(f => f.Name == header[c]).Type;
                record[header[c]] = cells[c].Length == 0 ? null
                    : type is "INTEGER" or "FLOAT" ? JsonValue.Create(decimal.Parse(cells[c], CultureInfo.InvariantCulture))
                    : JsonValue.Create(cells[c]);
            }
            b.Append(record.ToJsonString()).Append('\n');
        }
        return b.ToString();
    }
}
