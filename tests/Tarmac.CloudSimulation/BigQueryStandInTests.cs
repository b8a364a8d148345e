using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Tarmac.CloudSimulation.StandIn;
using Tarmac.Core.Ports;
using Tarmac.GoogleCloud;
using Tarmac.GoogleCloud.BigQuery;

namespace Tarmac.CloudSimulation;

/// <summary>The BigQuery stand-in behaves as Google documents it; driven by raw REST calls and by Tarmac's own <see cref="BigQueryClient"/>.</summary>
public sealed class BigQueryStandInTests : IAsyncLifetime
{
    private readonly CloudStandIn _standIn = new("tarmac-sim", "ds");
    private readonly HttpClient _http = new();
    private BigQueryClient _client = null!;

    private static readonly BqField[] Schema = [new("id", "INTEGER", "REQUIRED"), new("carrier", "STRING"), new("dep_delay", "FLOAT"), new("time_hour", "TIMESTAMP")];

    public Task InitializeAsync()
    {
        _standIn.BigQuery.CreateTable("flights", Schema);
        _standIn.BigQuery.CreateTable("events", [new("upload_id", "STRING", "REQUIRED"), new("status", "STRING", "REQUIRED"), new("at", "TIMESTAMP", "REQUIRED")]);
        var options = new GoogleCloudOptions { Project = "tarmac-sim", Dataset = "ds", Location = "US", BigQueryEndpoint = _standIn.BigQueryEndpoint, QueryTimeoutMs = 10_000 };
        _client = new BigQueryClient(new HttpClient { BaseAddress = options.BigQueryBaseUri }, options, TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _standIn.DisposeAsync();
    }

    private string Url(string path) => _standIn.BigQueryEndpoint + "projects/tarmac-sim/" + path;

    private static JsonObject LoadJob(string id, params string[] uris) => new()
    {
        ["jobReference"] = new JsonObject { ["projectId"] = "tarmac-sim", ["jobId"] = id, ["location"] = "US" },
        ["configuration"] = new JsonObject
        {
            ["load"] = new JsonObject
            {
                ["sourceUris"] = new JsonArray(uris.Select(u => (JsonNode)u).ToArray()),
                ["sourceFormat"] = "NEWLINE_DELIMITED_JSON",
                ["schema"] = new JsonObject { ["fields"] = new JsonArray(Schema.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["type"] = f.Type, ["mode"] = f.Mode }).ToArray()) },
                ["destinationTable"] = new JsonObject { ["projectId"] = "tarmac-sim", ["datasetId"] = "ds", ["tableId"] = "flights" },
                ["writeDisposition"] = "WRITE_APPEND", ["createDisposition"] = "CREATE_NEVER", ["maxBadRecords"] = 0,
            },
        },
    };

    private string Stage(string name, string ndjson) => $"gs://{_standIn.Storage.Put("raw-bucket", name, Encoding.UTF8.GetBytes(ndjson)).Bucket}/{name}";

    private async Task<JsonObject> DoneAsync(string jobId)
    {
        while (true)
        {
            var job = (await _http.GetFromJsonAsync<JsonObject>(Url($"jobs/{jobId}?location=US")))!;
            if (job["status"]!["state"]!.GetValue<string>() == "DONE") return job;
            await Task.Delay(5);
        }
    }

    private List<string?[]> Rows(string sql) =>
        _standIn.BigQuery.Query(sql).Select(r => r.Select(c => c!["v"]?.GetValue<string>()).ToArray()).ToList();

    // https://cloud.google.com/bigquery/docs/error-messages: duplicate (409) "when trying to create a job ... that already exists".
    [Fact]
    public async Task A_job_id_that_exists_answers_409_duplicate_and_runs_nothing_twice()
    {
        var uri = Stage("staging/flights/u1-1.ndjson", """{"id":"1","carrier":"UA"}""" + "\n");
        using var first = await _http.PostAsJsonAsync(Url("jobs"), LoadJob("tarmac_load_a", uri));
        using var again = await _http.PostAsJsonAsync(Url("jobs"), LoadJob("tarmac_load_a", uri));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("RUNNING", (await first.Content.ReadFromJsonAsync<JsonObject>())!["status"]!["state"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("duplicate", (await again.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["errors"]![0]!["reason"]!.GetValue<string>());
        await DoneAsync("tarmac_load_a");
        Assert.Equal([["1", "UA"]], Rows("SELECT CAST(id AS STRING), carrier FROM `tarmac-sim.ds.flights`"));
    }

    [Fact]
    public async Task A_load_job_is_RUNNING_then_DONE_and_loads_its_NDJSON_typed_by_the_schema()
    {
        var uri = Stage("staging/flights/u2-1.ndjson",
            """{"id":"1","carrier":"UA","dep_delay":2.5,"time_hour":"2013-01-01 05:00:00.000000"}""" + "\n" + """{"id":"2","dep_delay":"NaN"}""" + "\n");
        var (job, existed) = await _client.InsertJobAsync("tarmac_load_b", LoadJob("x", uri)["configuration"]!.AsObject(), default);
        Assert.False(existed);
        Assert.Equal("RUNNING", BigQueryClient.StateOf(job));

        var done = await _client.WaitForJobAsync(job, TimeSpan.FromMilliseconds(5), default);

        Assert.Null(BigQueryClient.ErrorOf(done));
        Assert.Equal("2", done["statistics"]!["load"]!["outputRows"]!.GetValue<string>());
        Assert.Equal([["1", "UA", "2.5", "1357016400000000"], ["2", null, "NaN", null]],
            Rows("SELECT id, carrier, dep_delay, UNIX_MICROS(time_hour) FROM `tarmac-sim.ds.flights` ORDER BY id"));
    }

    // Load jobs are atomic: with maxBadRecords 0 one bad record fails the job and no row of it is loaded.
    [Theory]
    [InlineData("""{"id":"3","carrier":7}""", "invalid")]
    [InlineData("""{"carrier":"UA"}""", "invalid")]
    [InlineData("""{"id":"3","no_such_column":1}""", "invalid")]
    public async Task A_load_job_with_one_bad_record_ends_with_errorResult_and_loads_nothing(string badLine, string reason)
    {
        var uri = Stage("staging/flights/u3-1.ndjson", """{"id":"1","carrier":"UA"}""" + "\n" + badLine + "\n" + """{"id":"2","carrier":"AA"}""" + "\n");
        using var _ = await _http.PostAsJsonAsync(Url("jobs"), LoadJob("tarmac_load_c", uri));

        var done = await DoneAsync("tarmac_load_c");

        Assert.Equal(reason, done["status"]!["errorResult"]!["reason"]!.GetValue<string>());
        Assert.Equal([["0"]], Rows("SELECT COUNT(*) FROM `tarmac-sim.ds.flights`"));
    }

    [Fact]
    public async Task A_load_job_whose_source_is_missing_fails_with_notFound()
    {
        using var _ = await _http.PostAsJsonAsync(Url("jobs"), LoadJob("tarmac_load_d", "gs://raw-bucket/staging/none.ndjson"));
        Assert.Equal("notFound", (await DoneAsync("tarmac_load_d"))["status"]!["errorResult"]!["reason"]!.GetValue<string>());
    }

    // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-json: INT64 outside ±2^53 must be passed as a string.
    [Fact]
    public async Task INT64_beyond_2_pow_53_is_corrupted_as_a_JSON_number_and_exact_as_a_JSON_string()
    {
        var uri = Stage("staging/flights/u4-1.ndjson", """{"id":9007199254740993,"carrier":"number"}""" + "\n" + """{"id":"9007199254740993","carrier":"string"}""" + "\n");
        using var _ = await _http.PostAsJsonAsync(Url("jobs"), LoadJob("tarmac_load_e", uri));
        await DoneAsync("tarmac_load_e");

        Assert.Equal([["number", "9007199254740992"], ["string", "9007199254740993"]], Rows("SELECT carrier, id FROM `tarmac-sim.ds.flights` ORDER BY carrier"));
        Assert.Equal(1, _standIn.BigQuery.PrecisionLosses);
    }

    // https://cloud.google.com/bigquery/docs/streaming-data-into-bigquery: streamed rows are available "within a few seconds".
    [Fact]
    public async Task Streamed_rows_are_deduplicated_by_insertId_and_invisible_to_queries_until_the_streaming_delay_passes()
    {
        _standIn.BigQuery.StreamingDelay = TimeSpan.FromMilliseconds(300);
        var row = new JsonObject { ["upload_id"] = "u1", ["status"] = "stored", ["at"] = "2026-11-28 10:00:00.000000" };
        await _client.InsertAllAsync("events", [("u1:stored", row)], default);
        await _client.InsertAllAsync("events", [("u1:stored", row.DeepClone().AsObject())], default); // a retried call

        var right_after = await _client.QueryAsync("SELECT upload_id FROM `tarmac-sim.ds.events`", [], 10, default);

        Assert.Empty(right_after.Rows);
        Assert.Equal(1, _standIn.BigQuery.BufferedRows("events"));
        var later = right_after;
        while (later.Rows.Count == 0) later = await _client.QueryAsync("SELECT upload_id FROM `tarmac-sim.ds.events`", [], 10, default);
        Assert.Equal("u1", QueryResult.Cell(Assert.Single(later.Rows), 0));
    }

    [Fact]
    public async Task An_insertAll_with_a_bad_row_inserts_nothing_and_reports_insertErrors()
    {
        var good = new JsonObject { ["upload_id"] = "u1", ["status"] = "stored", ["at"] = "2026-11-28 10:00:00" };
        var bad = new JsonObject { ["upload_id"] = "u2", ["at"] = "2026-11-28 10:00:00" };

        var e = await Assert.ThrowsAsync<BigQueryException>(() => _client.InsertAllAsync("events", [("a", good), ("b", bad)], default));

        Assert.Contains("Missing required field: status", e.Message, StringComparison.Ordinal);
        _standIn.BigQuery.StreamingDelay = TimeSpan.Zero;
        Assert.Equal(0, _standIn.BigQuery.BufferedRows("events"));
    }

    // The SQL Tarmac sends is executed: backticked names, typed @parameters (TIMESTAMP, ARRAY via UNNEST), COUNTIF, IF,
    // UNIX_MICROS, windows, APPROX_QUANTILES.
    [Fact]
    public async Task Queries_execute_GoogleSQL_with_typed_named_parameters()
    {
        _standIn.BigQuery.StreamingDelay = TimeSpan.Zero;
        await _client.InsertAllAsync("events", [
            ("1", new JsonObject { ["upload_id"] = "u1", ["status"] = "stored", ["at"] = "2026-11-28 10:00:00" }),
            ("2", new JsonObject { ["upload_id"] = "u1", ["status"] = "loaded", ["at"] = "2026-11-28 10:00:05" }),
            ("3", new JsonObject { ["upload_id"] = "u2", ["status"] = "stored", ["at"] = "2026-11-28 10:00:01" }),
            ("4", new JsonObject { ["upload_id"] = "u3", ["status"] = "stored", ["at"] = "2026-11-28 10:00:02" })], default);
        const string sql = """
            SELECT upload_id, status, UNIX_MICROS(first_at), attempts FROM (
              SELECT *, MIN(at) OVER w AS first_at, COUNTIF(status != 'stored') OVER w AS attempts,
                MAX(IF(status = 'stored', at, NULL)) OVER w AS stored_at,
                ROW_NUMBER() OVER (PARTITION BY upload_id ORDER BY at DESC) AS rn
              FROM `tarmac-sim.ds.events` WHERE upload_id IN UNNEST(@ids) AND at >= @since
              WINDOW w AS (PARTITION BY upload_id))
            WHERE rn = 1 ORDER BY upload_id
            """;

        var result = await _client.QueryAsync(sql, [BigQueryParameter.StringArray("ids", ["u1", "u2"]), new BigQueryParameter("since", "TIMESTAMP", "2026-11-28 10:00:00.000000+00:00")], 10, default);

        Assert.Equal([["u1", "loaded", "1795860000000000", "1"], ["u2", "stored", "1795860001000000", "0"]],
            result.Rows.Select(r => Enumerable.Range(0, 4).Select(i => QueryResult.Cell(r, i)).ToArray()));
        var p50 = await _client.QueryAsync("SELECT CAST(APPROX_QUANTILES(UNIX_MICROS(at), 100 IGNORE NULLS)[SAFE_OFFSET(50)] AS FLOAT64) FROM `tarmac-sim.ds.events`", [], 1, default);
        Assert.Equal(1795860001000000d, double.Parse(QueryResult.Cell(p50.Rows[0], 0)!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Invalid_SQL_and_other_datasets_are_refused_as_BigQuery_refuses_them()
    {
        var bad = await Assert.ThrowsAsync<BigQueryException>(() => _client.QueryAsync("SELEC 1", [], 1, default));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("invalidQuery", bad.Reason);
        var other = await Assert.ThrowsAsync<BigQueryException>(() => _client.QueryAsync("SELECT 1 FROM `tarmac-sim.elsewhere.flights`", [], 1, default));
        Assert.Equal(HttpStatusCode.NotFound, other.Status);
    }

    [Fact]
    public async Task Results_come_in_pages_with_page_tokens_after_jobComplete_false()
    {
        _standIn.BigQuery.StreamingDelay = TimeSpan.Zero;
        _standIn.BigQuery.DefaultPageRows = 2;
        _standIn.BigQuery.QueryPollsBeforeComplete = 2;
        await _client.InsertAllAsync("events", Enumerable.Range(1, 5).Select(i => ($"{i}", new JsonObject { ["upload_id"] = $"u{i}", ["status"] = "stored", ["at"] = "2026-11-28 10:00:00" })).ToList(), default);

        var result = await _client.QueryAsync("SELECT upload_id FROM `tarmac-sim.ds.events` ORDER BY upload_id", [], 100, default);

        Assert.Equal(["u1", "u2", "u3", "u4", "u5"], result.Rows.Select(r => QueryResult.Cell(r, 0)));
        Assert.Equal(4, _standIn.Count("bigquery.getQueryResults")); // 1 incomplete poll, then pages 2 and 3 (page 1 after the 2nd poll)
    }

    // Bursts of 429/5xx (https://cloud.google.com/bigquery/docs/error-messages: retry 5xx with exponential backoff).
    [Fact]
    public async Task A_short_burst_is_retried_through_and_a_long_one_surfaces_as_a_transient_failure()
    {
        _standIn.Faults.FailNext("bigquery.query", 503, times: 3);
        var ok = await _client.QueryAsync("SELECT 1", [], 1, default);
        Assert.Equal("1", QueryResult.Cell(ok.Rows[0], 0));

        _standIn.Faults.FailNext("bigquery.query", 429, times: 6);
        await Assert.ThrowsAsync<TransientFailureException>(() => _client.QueryAsync("SELECT 1", [], 1, default));
        Assert.Equal(9, _standIn.Faults.Injected["bigquery.query"]);
    }

    [Fact]
    public void Seeded_bursts_repeat_exactly()
    {
        static List<int> Run(int seed)
        {
            var plan = new FaultPlan(seed).Bursts("r", 503, length: 3, probability: 0.2);
            var statuses = new List<int>();
            for (var i = 0; i < 40; i++)
            {
                var ctx = new Microsoft.AspNetCore.Http.DefaultHttpContext();
                ctx.Response.Body = new MemoryStream();
                statuses.Add(plan.TryInjectAsync("r", ctx, new StandInRequest(ctx, [], [], null), () => Task.CompletedTask).GetAwaiter().GetResult() ? ctx.Response.StatusCode : 200);
            }
            return statuses;
        }
        var a = Run(7);
        Assert.Equal(a, Run(7));
        Assert.Contains(503, a);
        // Failures come three in a row: every 503 run has a length that is a multiple of 3.
        var runs = string.Join(",", a).Split("200").SkipLast(1).Select(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries).Length).Where(n => n > 0);
        Assert.All(runs, n => Assert.Equal(0, n % 3));
    }

    // A 503 after the insert landed: the client's retry sees 409 and adopts the job instead of running it twice.
    [Fact]
    public async Task A_job_insert_whose_answer_is_lost_is_found_by_the_retry_as_a_duplicate()
    {
        var uri = Stage("staging/flights/u5-1.ndjson", """{"id":"5"}""" + "\n");
        _standIn.Faults.FailNext("bigquery.jobs.insert", 503, afterServing: true);

        var (job, existed) = await _client.InsertJobAsync("tarmac_load_f", LoadJob("x", uri)["configuration"]!.AsObject(), default);
        await _client.WaitForJobAsync(job, TimeSpan.FromMilliseconds(5), default);

        Assert.True(existed);
        Assert.Equal([503, 409], _standIn.Exchanges.Where(e => e.Route == "bigquery.jobs.insert").Select(e => e.Status));
        Assert.Equal([["1"]], Rows("SELECT COUNT(*) FROM `tarmac-sim.ds.flights`"));
    }

    [Fact]
    public async Task The_next_load_jobs_can_be_made_to_fail_with_a_given_reason()
    {
        _standIn.BigQuery.FailNextLoadJobs(1, "backendError");
        var uri = Stage("staging/flights/u6-1.ndjson", """{"id":"6"}""" + "\n");
        var (job, _) = await _client.InsertJobAsync("tarmac_load_g", LoadJob("x", uri)["configuration"]!.AsObject(), default);
        var done = await _client.WaitForJobAsync(job, TimeSpan.FromMilliseconds(5), default);
        Assert.True(BigQueryClient.ErrorOf(done)!.IsTransient);
        Assert.Equal([["0"]], Rows("SELECT COUNT(*) FROM `tarmac-sim.ds.flights`"));
    }
}
