using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Events;

/// <summary>
/// Issue 14, item 2: <c>POST /events</c> and <c>POST /datasets/{name}/events</c> take one JSON object, an array of objects or
/// NDJSON, store the body as sent, and load it through the same upload life as a CSV file (status, dedupe, wait, limits,
/// all-or-nothing), with row errors located by NDJSON line or array index. The host sends every CSV through DuckDB's bulk
/// reader (threshold 0), so a JSON upload that tried that path would show in <see cref="DuckDbWarehouseLoader.BulkLoads"/>.
/// </summary>
public sealed class EventsTests : IClassFixture<EventsTests.Host>
{
    private const string Ndjson = "application/x-ndjson";
    private const string Json = "application/json";
    private readonly TarmacHost _host;

    public EventsTests(Host fixture) => _host = fixture.Tarmac;

    /// <summary>One host: the flights schema, a small <c>things</c> dataset and its all-or-nothing twin <c>strict</c>.</summary>
    public sealed class Host : IDisposable
    {
        public Host()
        {
            var schemas = TempDirs.Create("schemas");
            File.Copy(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json"), Path.Combine(schemas, "flights.json"));
            File.WriteAllText(Path.Combine(schemas, "things.json"), """
                [{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"},{"name":"score","type":"FLOAT"},
                 {"name":"ok","type":"BOOLEAN"},{"name":"at","type":"TIMESTAMP"}]
                """);
            File.Copy(Path.Combine(schemas, "things.json"), Path.Combine(schemas, "strict.json"));
            File.WriteAllText(Path.Combine(schemas, "strict.options.json"), """{"all_or_nothing": true}""");
            Tarmac = new TarmacHost(schemaDir: schemas, settings: new Dictionary<string, string?>
            {
                ["TARMAC_BULK_THRESHOLD_BYTES"] = "0",
                ["TARMAC_MAX_UPLOAD_BYTES"] = "300000",
            });
        }

        public TarmacHost Tarmac { get; }

        public void Dispose() => Tarmac.Dispose();
    }

    private Task<HttpResponseMessage> PostAsync(string path, string body, string type)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new(type);
        return _host.Http.PostAsync(path, content);
    }

    private async Task<JsonElement> LoadAsync(string path, string body, string type)
    {
        using var response = await PostAsync(path, body, type);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upload = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.NotEqual("stored", upload.GetProperty("status").GetString()); // ?wait=true answers the final status
        return upload;
    }

    private static (string?, long, long) Counts(JsonElement u) =>
        (u.GetProperty("status").GetString(), u.GetProperty("rows_loaded").GetInt64(), u.GetProperty("rows_rejected").GetInt64());

    private static string Errors(JsonElement u) => Plain(u.GetProperty("errors"));

    private async Task<string> RowsAsync(string dataset, long from, long to) =>
        Plain(await _host.Http.GetFromJsonAsync<JsonElement>($"/datasets/{dataset}/rows?id__between={from},{to}&sort=id&limit=100"));

    /// <summary>The JSON with only the escapes JSON needs, so expected texts read as written.</summary>
    private static string Plain(JsonElement e) => JsonSerializer.Serialize(e, PlainJson);

    private static readonly JsonSerializerOptions PlainJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private long BulkLoads => ((DuckDbWarehouseLoader)_host.Services.GetRequiredService<IWarehouseLoader>()).BulkLoads;

    [Fact]
    public async Task One_object_on_events_loads_one_flight_with_exact_values_and_is_stored_as_sent()
    {
        var body = """
            {"id": 90001, "year": 2013, "month": 1, "day": 1, "dep_time": 517, "sched_dep_time": 515, "dep_delay": 2.0, "arr_time": 830,
             "sched_arr_time": 819, "arr_delay": 11, "carrier": "UA", "flight": 1545, "tailnum": "N14228", "origin": "EWR", "dest": "IAH",
             "air_time": 227.0, "distance": 1400, "hour": 5, "minute": 15, "time_hour": "2013-01-01 05:00:00", "name": "United Air Lines Inc."}
            """;
        var bulkBefore = BulkLoads;
        var upload = await LoadAsync("/events?wait=true", body, Json);
        Assert.Equal(("loaded", 1L, 0L), Counts(upload));
        var id = upload.GetProperty("upload_id").GetString()!;
        var objectName = upload.GetProperty("object").GetString()!;
        Assert.Matches($"^raw/flights/\\d{{4}}-\\d{{2}}-\\d{{2}}/{id}\\.json$", objectName);
        var bytes = Encoding.UTF8.GetBytes(body);
        Assert.Equal(bytes.Length, upload.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), upload.GetProperty("sha256").GetString());
        await using (var raw = await _host.Services.GetRequiredService<IObjectStore>().OpenReadAsync(objectName, default))
        using (var copy = new MemoryStream())
        {
            await raw.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray()); // every byte as received: the raw object is the JSON the client sent
        }
        var rows = await _host.Http.GetFromJsonAsync<JsonElement>("/getdata?id=90001");
        Assert.Equal(
            """[{"id":90001,"year":2013,"month":1,"day":1,"dep_time":517,"sched_dep_time":515,"dep_delay":2,"arr_time":830,"sched_arr_time":819,"arr_delay":11,"carrier":"UA","flight":"1545","tailnum":"N14228","origin":"EWR","dest":"IAH","air_time":227,"distance":1400,"hour":5,"minute":15,"time_hour":"2013-01-01T05:00:00Z","name":"United Air Lines Inc."}]""",
            rows.GetRawText());
        Assert.Equal(bulkBefore, BulkLoads);
    }

    [Fact]
    public async Task An_array_loads_each_element_as_a_row()
    {
        var bulkBefore = BulkLoads;
        var upload = await LoadAsync("/datasets/things/events?wait=true", """
            [{"id": 1001, "label": "a", "score": 1.5, "ok": true, "at": "2013-01-01T05:00:00Z"},
             {"id": 1002, "label": null, "score": "2", "ok": "no"},
             {"ID": 1003, "label": "", "at": "2013-01-02 06:30:00"}]
            """, Json);
        Assert.Equal(("loaded", 3L, 0L), Counts(upload));
        Assert.Equal(
            """[{"id":1001,"label":"a","score":1.5,"ok":true,"at":"2013-01-01T05:00:00Z"},{"id":1002,"label":null,"score":2,"ok":false,"at":null},{"id":1003,"label":null,"score":null,"ok":null,"at":"2013-01-02T06:30:00Z"}]""",
            await RowsAsync("things", 1001, 1003));
        Assert.Equal(bulkBefore, BulkLoads);
    }

    [Fact]
    public async Task Ndjson_loads_each_line_and_skips_blank_lines()
    {
        var upload = await LoadAsync("/datasets/things/events?wait=true",
            "{\"id\": 2001, \"label\": \"x\\ty\", \"score\": -1e2}\r\n\r\n{\"id\": \"2002\", \"label\": \"\u00d1and\u00fa\"}\n   \n{\"id\": 2003, \"ok\": 1}", Ndjson);
        Assert.Equal(("loaded", 3L, 0L), Counts(upload));
        Assert.Equal(
            """[{"id":2001,"label":"x\ty","score":-100,"ok":null,"at":null},{"id":2002,"label":"Ñandú","score":null,"ok":null,"at":null},{"id":2003,"label":null,"score":null,"ok":true,"at":null}]""",
            await RowsAsync("things", 2001, 2003));
    }

    [Fact]
    public async Task Bad_ndjson_lines_are_row_errors_with_their_line_and_the_others_load()
    {
        var upload = await LoadAsync("/datasets/things/events?wait=true", string.Join('\n',
            """{"id": 3001}""", """{"id": 3002, "score": "abc"}""", "", """{"id": 3004, "label": "cut""", """[3005]""", """{"id": 3006, "colour": "red", "label": {"x": 1}}""",
            """{"label": "no id"}""", """{"id": 3008, "id": 3009}""", """{"id": 3010} {"id": 3011}""", """{"id": 3012}"""), Ndjson);
        Assert.Equal(("partially_loaded", 2L, 7L), Counts(upload)); // 9 records: 2 good, 7 bad; the blank line is none
        Assert.Equal(
            """[{"line":2,"column":"score","value":"abc","reason":"must be a finite number"},""" +
            """{"line":4,"column":null,"value":"{\"id\": 3004, \"label\": \"cut","reason":"not valid JSON: Expected end of string, but instead reached end of data. (at byte 27 of the record)"},""" +
            """{"line":5,"column":null,"value":"[3005]","reason":"expected a JSON object (one record), found an array"},""" +
            """{"line":6,"column":"colour","value":null,"reason":"unknown field: dataset 'things' has no such column (columns: id, label, score, ok, at)"},""" +
            """{"line":6,"column":"label","value":null,"reason":"must be a single value, not an object"},""" +
            """{"line":7,"column":"id","value":null,"reason":"a value is required (the column is REQUIRED); the field is missing"},""" +
            """{"line":8,"column":"id","value":null,"reason":"the field appears more than once in the record"},""" +
            """{"line":9,"column":null,"value":"{\"id\": 3010} {\"id\": 3011}","reason":"not valid JSON: '{' is invalid after a single JSON value. Expected end of data. (at byte 14 of the record)"}]""",
            Errors(upload));
        Assert.Equal("""[{"id":3001,"label":null,"score":null,"ok":null,"at":null},{"id":3012,"label":null,"score":null,"ok":null,"at":null}]""",
            await RowsAsync("things", 3001, 3012));
    }

    [Fact]
    public async Task Bad_array_elements_are_row_errors_with_their_index_and_line()
    {
        var upload = await LoadAsync("/datasets/things/events?wait=true", "[\n  {\"id\": 4001},\n  {\"id\": 4002,\n   \"ok\": \"maybe\"},\n  7,\n  {\"id\": 4004}\n]\n", Json);
        Assert.Equal(("partially_loaded", 2L, 2L), Counts(upload));
        Assert.Equal(
            """[{"line":3,"column":"ok","value":"maybe","reason":"must be a boolean (true/false, t/f, yes/no, y/n or 1/0)","index":1},""" +
            """{"line":5,"column":null,"value":"7","reason":"expected a JSON object (one record), found a number","index":2}]""",
            Errors(upload));
        Assert.Equal("""[{"id":4001,"label":null,"score":null,"ok":null,"at":null},{"id":4004,"label":null,"score":null,"ok":null,"at":null}]""",
            await RowsAsync("things", 4001, 4004));
    }

    [Fact]
    public async Task A_bad_lone_object_is_rejected_with_its_line_and_no_index()
    {
        var upload = await LoadAsync("/datasets/things/events?wait=true", "\n\n{\"id\": 4101.5, \"at\": \"yesterday\"}", Json);
        Assert.Equal(("rejected", 0L, 1L), Counts(upload));
        Assert.Equal(
            """[{"line":3,"column":"id","value":"4101.5","reason":"must be an integer (a whole number such as 517 or 517.0)"},""" +
            """{"line":3,"column":"at","value":"yesterday","reason":"must be an ISO 8601 timestamp such as 2013-01-01 05:00:00 (UTC when no zone is given)"}]""",
            Errors(upload));
    }

    [Fact]
    public async Task A_large_array_and_ndjson_stream_through_and_every_record_is_counted()
    {
        // About 100 KB each: more than one read of the loader's buffer, with records across its edges.
        var bulkBefore = BulkLoads;
        var records = Enumerable.Range(0, 1500).Select(i => i % 100 == 99
            ? $$"""{"id": {{5000 + i}}, "score": "bad{{i}}"}"""
            : $$"""{"id": {{5000 + i}}, "label": "{{new string('x', i % 40)}}", "score": {{i}}.25}""").ToList();
        foreach (var (body, type, dataset) in new[] { ("[" + string.Join(",\n", records) + "]", Json, "things"), (string.Join("\n", records), Ndjson, "strict") })
        {
            var upload = await LoadAsync($"/datasets/{dataset}/events?wait=true", body, type);
            var errors = upload.GetProperty("errors").EnumerateArray().ToList();
            Assert.Equal(15, errors.Count);
            if (type == Json)
            {
                Assert.Equal(("partially_loaded", 1485L, 15L), Counts(upload)); // loaded + rejected = the 1,500 records
                Assert.Equal(Enumerable.Range(0, 15).Select(k => 100L * k + 99), errors.Select(e => e.GetProperty("index").GetInt64()));
                Assert.Equal(Enumerable.Range(0, 15).Select(k => 100L * k + 100), errors.Select(e => e.GetProperty("line").GetInt64()));
                var rows = await _host.Http.GetFromJsonAsync<JsonElement>("/datasets/things/rows?id__between=5000,6499&count=true&limit=1&sort=-id");
                Assert.Equal(6498, rows[0].GetProperty("id").GetInt64());
                Assert.Equal(1498.25, rows[0].GetProperty("score").GetDouble());
                Assert.Equal(new string('x', 1498 % 40), rows[0].GetProperty("label").GetString());
            }
            else
            {
                Assert.Equal(("rejected", 0L, 15L), Counts(upload)); // all-or-nothing: 15 bad records reject all 1,500
                Assert.Equal(Enumerable.Range(0, 15).Select(k => 100L * k + 100), errors.Select(e => e.GetProperty("line").GetInt64()));
                Assert.Equal("[]", await RowsAsync("strict", 5000, 6499));
            }
        }
        Assert.Equal(bulkBefore, BulkLoads);
    }

    [Fact]
    public async Task All_or_nothing_rejects_the_whole_body_for_one_bad_record()
    {
        var upload = await LoadAsync("/datasets/strict/events?wait=true", """[{"id": 6001}, {"id": "six"}, {"id": 6003}]""", Json);
        Assert.Equal(("rejected", 0L, 1L), Counts(upload));
        Assert.Equal("""[{"line":1,"column":"id","value":"six","reason":"must be an integer","index":1}]""", Errors(upload));
        Assert.Equal("[]", await RowsAsync("strict", 6001, 6003));
    }

    [Fact]
    public async Task The_same_body_posted_twice_answers_the_first_upload_and_loads_once()
    {
        const string body = "{\"id\": 7001, \"label\": \"once\"}\n{\"id\": 7002}\n";
        var first = await LoadAsync("/datasets/things/events?wait=true", body, Ndjson);
        var again = await LoadAsync("/datasets/things/events?wait=true", body, Ndjson);
        Assert.Equal(first.GetProperty("upload_id").GetString(), again.GetProperty("upload_id").GetString());
        Assert.False(first.GetProperty("duplicate").GetBoolean());
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        Assert.Equal(("loaded", 2L, 0L), Counts(again));
        Assert.Equal("""[{"id":7001,"label":"once","score":null,"ok":null,"at":null},{"id":7002,"label":null,"score":null,"ok":null,"at":null}]""",
            await RowsAsync("things", 7001, 7002));
    }

    [Fact]
    public async Task Without_wait_the_answer_is_stored_and_the_status_route_gives_the_outcome()
    {
        using var response = await PostAsync("/events", """{"id": 7101, "year": 2013, "month": 2, "day": 3}""", Json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upload = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("stored", upload.GetProperty("status").GetString());
        var outcome = await _host.WaitForOutcomeAsync(upload.GetProperty("upload_id").GetString()!);
        Assert.Equal(("loaded", 1L, 0L), Counts(outcome));
    }

    [Fact]
    public async Task Gzip_bodies_are_stored_decompressed()
    {
        var json = """[{"id": 7201, "label": "zipped"}]"""u8.ToArray();
        using var packed = new MemoryStream();
        await using (var gz = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(json);
        var content = new ByteArrayContent(packed.ToArray());
        content.Headers.ContentType = new(Json);
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await _host.Http.PostAsync("/datasets/things/events?wait=true", content);
        var upload = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("loaded", 1L, 0L), Counts(upload));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(json)), upload.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task A_csv_upload_on_the_same_host_does_take_the_bulk_path()
    {
        // The control for the BulkLoads assertions above: this host's threshold really sends CSV to DuckDB's reader.
        var before = BulkLoads;
        using var response = await _host.PostCsvAsync("/datasets/things/upload?wait=true", "id,label\n7301,csv\n");
        Assert.Equal(("loaded", 1L, 0L), Counts(await response.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal(before + 1, BulkLoads);
    }

    [Fact]
    public async Task The_openapi_document_describes_both_routes_with_their_body_and_problems()
    {
        var doc = await _host.Http.GetFromJsonAsync<JsonElement>("/openapi.json");
        foreach (var path in new[] { "/events", "/datasets/{name}/events" })
        {
            var post = doc.GetProperty("paths").GetProperty(path).GetProperty("post");
            Assert.Contains("application/x-ndjson", post.GetProperty("description").GetString());
            var content = post.GetProperty("requestBody").GetProperty("content");
            var record = content.GetProperty("application/json").GetProperty("schema").GetProperty("oneOf")[0];
            Assert.Equal(["id", "year", "month", "day"], record.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
            Assert.False(record.GetProperty("additionalProperties").GetBoolean());
            Assert.True(content.TryGetProperty("application/x-ndjson", out _));
            foreach (var code in new[] { "200", "202", "400", "413", "415", "507" })
                Assert.True(post.GetProperty("responses").TryGetProperty(code, out _), $"{path} {code}");
            Assert.True(post.GetProperty("responses").GetProperty("415").GetProperty("content").TryGetProperty("application/problem+json", out _));
        }
        Assert.True(doc.GetProperty("paths").GetProperty("/datasets/{name}/events").GetProperty("post").GetProperty("responses").TryGetProperty("404", out _));
    }
}
