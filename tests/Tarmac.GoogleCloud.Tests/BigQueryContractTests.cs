using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.BigQuery;
using Tarmac.GoogleCloud.State;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>The BigQuery REST client and reader against the fake, asserting the exact requests.</summary>
public sealed class BigQueryContractTests : IAsyncLifetime
{
    private readonly FakeGoogleCloud _fake = new();
    private GoogleCloudOptions _options = null!;
    private BigQueryClient _client = null!;

    public Task InitializeAsync()
    {
        _options = new GoogleCloudOptions
        {
            Project = "proj-one", RawBucket = "raw1", Dataset = "d1", Location = "europe-west1", BigQueryEndpoint = _fake.BigQueryEndpoint,
            StorageEmulatorHost = _fake.BaseUrl, QueryTimeoutMs = 7000, MaxBytesBilled = 123456789,
        };
        _client = new BigQueryClient(new HttpClient { BaseAddress = _options.BigQueryBaseUri }, _options, TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static UploadRecord Candidate(string sha, string? id = null)
    {
        id ??= UploadIds.New();
        return new UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = $"raw/flights/2026-11-28/{id}.csv", Bytes = 42, Sha256 = sha,
            Status = UploadStatus.Stored, FileName = "f.csv", ContentType = "text/csv", Client = "curl/8", ReceivedAt = DateTimeOffset.UtcNow,
        };
    }

    private static readonly DatasetSchema Flights = SchemaCatalog.Parse("flights",
        """[{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"carrier","type":"STRING"},{"name":"dep_delay","type":"FLOAT"},{"name":"time_hour","type":"TIMESTAMP"},{"name":"day","type":"DATE"}]""");

    private static ColumnSchema Col(string name) => Flights.TryGetColumn(name, out var c) ? c : throw new ArgumentException(name);

    [Fact]
    public async Task Rows_queries_send_the_renderers_SQL_with_named_typed_parameters_timeout_byte_cap_and_location_and_follow_page_tokens()
    {
        _fake.QueryPageSize = 2;
        // The export first asks where its page ends (a LIMIT 2 OFFSET query: here, no row follows), then streams the page.
        _fake.QueryHandler = (sql, _) => sql.Contains(" OFFSET @", StringComparison.Ordinal) ? FakeGoogleCloud.Result(["dep_delay", "_upload_id", "_line"])
            : FakeGoogleCloud.Result(["id", "carrier", "dep_delay", "time_hour", "day"],
            ["1", "UA", "2.5", "1357016400000000", "2013-01-01"], ["2", "AA", null, null, "2013-01-02"], ["3", "DL", "-1", "1357020000000000", "2013-01-01"],
            ["4", "B6", "1.0E10", "1357023600000000", "2013-01-03"], ["5", "WN", "0", "1357027200000000", "2013-01-01"]);
        var snapshot = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
        var query = new RowsQuery(Flights, Flights.Columns,
            [new Filter(Col("carrier"), FilterOperator.In, ["UA", "AA"]), new Filter(Col("dep_delay"), FilterOperator.Gte, [-5.5]), new Filter(Col("day"), FilterOperator.Lt, [new DateOnly(2013, 2, 1)])],
            [new SortKey(Col("dep_delay"), true)], 4, new KeysetPosition([3.0], "u1", 7), snapshot);
        var writer = new RecordingWriter();
        var warehouse = new BigQueryWarehouseReader(_client);
        KeysetPosition? next = null;

        await warehouse.ExportRowsAsync(query, p => next = p, writer, default);

        Assert.Equal(["id:Integer", "carrier:String", "dep_delay:Float", "time_hour:Timestamp", "day:Date"], writer.Columns.Select(c => $"{c.Name}:{c.Type}"));
        Assert.Equal(5, writer.Rows.Count);
        Assert.Equal("1|UA|2.5|2013-01-01T05:00:00.0000000+00:00|2013-01-01", writer.Rows[0]);
        Assert.Equal("2|AA|null|null|2013-01-02", writer.Rows[1]);
        Assert.Equal("4|B6|10000000000|2013-01-01T07:00:00.0000000+00:00|2013-01-03", writer.Rows[3]);

        Assert.Null(next);
        var expected = BigQuerySql.Renderer(query.Dataset, "proj-one.d1").Rows(query);
        var sent = Assert.Single(_fake.RequestsTo("POST", "/projects/proj-one/queries"), r => !r.Json!["query"]!.GetValue<string>().Contains(" OFFSET @", StringComparison.Ordinal)).Json!;
        Assert.Equal(expected.Sql, sent["query"]!.GetValue<string>());
        Assert.Contains("FROM `proj-one.d1.flights` WHERE `_loaded_at` <= @p0", expected.Sql, StringComparison.Ordinal);
        var types = sent["queryParameters"]!.AsArray().Select(p => $"{p!["name"]}:{p["parameterType"]!["type"]}={p["parameterValue"]!["value"]}").ToList();
        Assert.Equal("p0:TIMESTAMP=2026-11-28 10:00:00.000000+00:00", types[0]);
        Assert.Contains("p1:STRING=UA", types);
        Assert.Contains("p2:STRING=AA", types);
        Assert.Contains("p3:FLOAT64=-5.5", types);
        Assert.Contains("p4:DATE=2013-02-01", types);
        Assert.Contains(types, t => t.EndsWith(":STRING=u1", StringComparison.Ordinal));
        Assert.Contains(types, t => t.EndsWith(":INT64=7", StringComparison.Ordinal));
        Assert.Equal($"p{types.Count - 1}:INT64=4", types[^1]); // the limit
        Assert.False(sent["useLegacySql"]!.GetValue<bool>());
        Assert.Equal("NAMED", sent["parameterMode"]!.GetValue<string>());
        Assert.Equal(7000, sent["timeoutMs"]!.GetValue<int>());
        Assert.Equal("7000", sent["jobTimeoutMs"]!.GetValue<string>());
        Assert.Equal("123456789", sent["maximumBytesBilled"]!.GetValue<string>());
        Assert.Equal("europe-west1", sent["location"]!.GetValue<string>());
        Assert.True(sent["formatOptions"]!["useInt64Timestamp"]!.GetValue<bool>());
        var pages = _fake.RequestsTo("GET", "/projects/proj-one/queries/").ToList();
        Assert.Equal(2, pages.Count);
        Assert.Contains("pageToken=2", pages[0].Query, StringComparison.Ordinal);
        Assert.Contains("pageToken=4", pages[1].Query, StringComparison.Ordinal);
        Assert.Contains("location=europe-west1", pages[0].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_end_count_stats_and_version_read_typed_values()
    {
        var warehouse = new BigQueryWarehouseReader(_client);
        var query = new RowsQuery(Flights, [Col("id")], [], [new SortKey(Col("time_hour"), false)], 10, null, DateTimeOffset.UnixEpoch.AddDays(1));
        _fake.QueryHandler = (sql, ps) =>
            sql.StartsWith("SELECT COUNT(*)", StringComparison.Ordinal) ? FakeGoogleCloud.Result(["f0_"], ["42"])
            : sql.Contains(" OFFSET @", StringComparison.Ordinal) ? FakeGoogleCloud.Result(["time_hour", "_upload_id", "_line"], ["1357016400000000", "u9", "12"], [null, "u9", "13"])
            : sql.Contains("GROUP BY", StringComparison.Ordinal) ? FakeGoogleCloud.Result(["carrier", "count", "avg_dep_delay"], ["UA", "3", "2.5"], ["AA", "1", null])
            : sql.StartsWith("SELECT `id` FROM", StringComparison.Ordinal) ? FakeGoogleCloud.Result(["id"], ["1"])
            : null;

        KeysetPosition? end = null;
        await warehouse.ExportRowsAsync(query, p => end = p, new RecordingWriter(), default);
        var count = await warehouse.CountAsync(query, default);
        var writer = new RecordingWriter();
        await warehouse.QueryStatsAsync(new StatsQuery(Flights, [Col("carrier")], [new Metric(MetricFunction.Count, null), new Metric(MetricFunction.Avg, Col("dep_delay"))],
            [], null, [new OutputSortKey("count", true)], 100, DateTimeOffset.UnixEpoch.AddDays(1)), writer, default);
        var none = await warehouse.GetVersionAsync(Flights, default);
        var at = new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
        _fake.Rows("flights").Add(new JsonObject { ["id"] = 1 });
        _fake.TableModified("flights", at.ToUnixTimeMilliseconds());
        var one = await warehouse.GetVersionAsync(Flights, default);

        Assert.NotNull(end);
        Assert.Equal(("u9", 12L), (end.UploadId, end.Line));
        Assert.Equal(new DateTimeOffset(2013, 1, 1, 5, 0, 0, TimeSpan.Zero), end.SortValues[0]);
        Assert.Equal(42, count);
        Assert.Equal(["carrier:String", "count:Integer", "avg_dep_delay:Float"], writer.Columns.Select(c => $"{c.Name}:{c.Type}"));
        Assert.Equal(["UA|3|2.5", "AA|1|null"], writer.Rows);
        Assert.Equal(new DatasetVersion(0, null), none);
        Assert.Equal(new DatasetVersion(at.ToUnixTimeMilliseconds(), at), one);
        Assert.Equal(2, _fake.RequestsTo("GET", "/projects/proj-one/datasets/d1/tables/flights").Count()); // tables.get, no query
    }

    [Fact]
    public async Task A_cancelled_query_cancels_its_BigQuery_job()
    {
        _fake.QueriesNeverComplete = true;
        var warehouse = new BigQueryWarehouseReader(_client);
        using var cts = new CancellationTokenSource();
        var running = warehouse.CountAsync(RowsQuery.All(Flights, DateTimeOffset.UnixEpoch), cts.Token);
        using var started = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!_fake.RequestsTo("GET", "/projects/proj-one/queries/slow_query_1").Any()) await Task.Delay(10, started.Token); // polling the fake's log

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!_fake.RequestsTo("POST", "/projects/proj-one/jobs/slow_query_1/cancel").Any()) await Task.Delay(10, wait.Token);
        Assert.Contains("location=europe-west1", _fake.RequestsTo("POST", "/jobs/slow_query_1/cancel").Single().Query, StringComparison.Ordinal);
    }

    /// <summary>Keeps what a query streamed, each row as its values joined by '|'.</summary>
    private sealed class RecordingWriter : IRowWriter
    {
        public List<ResultColumn> Columns { get; } = [];
        public List<string> Rows { get; } = [];

        public ValueTask BeginAsync(IReadOnlyList<ResultColumn> columns, CancellationToken ct)
        {
            Columns.AddRange(columns);
            return ValueTask.CompletedTask;
        }

        public ValueTask WriteRowAsync(IResultRow row, CancellationToken ct)
        {
            Rows.Add(string.Join('|', Columns.Select((c, i) => row.IsNull(i) ? "null" : c.Type switch
            {
                ColumnType.Integer => row.GetInt64(i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ColumnType.Float => row.GetDouble(i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ColumnType.Timestamp => row.GetTimestamp(i).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ColumnType.Date => row.GetDate(i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                _ => row.GetString(i),
            })));
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task A_409_on_insert_adopts_the_existing_job_through_jobs_get()
    {
        var config = new JsonObject { ["query"] = new JsonObject { ["query"] = "SELECT 1" } };
        _fake.JobsStartRunning = false;
        _fake.Jobs["j1"] = new JsonObject { ["jobReference"] = new JsonObject { ["jobId"] = "j1" }, ["status"] = new JsonObject { ["state"] = "DONE" } };

        var (job, existed) = await _client.InsertJobAsync("j1", config, default);

        Assert.True(existed);
        Assert.Equal("DONE", BigQueryClient.StateOf(job));
        Assert.Single(_fake.RequestsTo("GET", "/projects/proj-one/jobs/j1"));
        Assert.Contains("location=europe-west1", _fake.RequestsTo("GET", "/projects/proj-one/jobs/j1").Single().Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_errorResult_is_reported_with_its_reason()
    {
        var job = JsonNode.Parse("""{"jobReference":{"jobId":"j2"},"status":{"state":"DONE","errorResult":{"reason":"invalid","message":"bad row"},"errors":[{"message":"bad row"},{"message":"another"}]}}""")!.AsObject();
        var error = BigQueryClient.ErrorOf(job)!;
        Assert.Equal("invalid", error.Reason);
        Assert.False(error.IsTransient);
        Assert.Contains("bad row", error.Message, StringComparison.Ordinal);
        Assert.True(new BigQueryException("x", null, "backendError").IsTransient);
        Assert.True(new BigQueryException("x", System.Net.HttpStatusCode.Forbidden, "quotaExceeded").IsTransient);
        Assert.False(new BigQueryException("x", System.Net.HttpStatusCode.Forbidden, "accessDenied").IsTransient);
    }

    [Fact]
    public async Task Non_transient_errors_are_not_retried_and_transient_ones_end_as_TransientFailure()
    {
        _fake.Fail("POST", "/queries", 400, reason: "invalidQuery");
        var bad = await Assert.ThrowsAsync<BigQueryException>(() => _client.QueryAsync("SELEC", [], 1, default));
        Assert.Equal("invalidQuery", bad.Reason);
        Assert.Single(_fake.RequestsTo("POST", "/queries"));

        _fake.Fail("POST", "/queries", 403, times: 6, reason: "rateLimitExceeded");
        await Assert.ThrowsAsync<TransientFailureException>(() => _client.QueryAsync("SELECT 1", [], 1, default));
        Assert.Equal(7, _fake.RequestsTo("POST", "/queries").Count());
    }

    [Fact]
    public async Task insertAll_row_errors_fail_the_call()
    {
        _fake.RejectNextInsertAll = true;
        var e = await Assert.ThrowsAsync<BigQueryException>(() => _client.InsertAllAsync("upload_events", [("i1", new JsonObject { ["x"] = 1 })], default));
        Assert.Equal("invalid", e.Reason);
        Assert.Empty(_fake.Rows("upload_events"));
    }

    [Fact]
    public async Task Ping_answers_false_when_BigQuery_does_not()
    {
        var warehouse = new BigQueryWarehouseReader(_client);
        Assert.True(await warehouse.PingAsync(default));
        _fake.Fail("POST", "/queries", 500, times: 6);
        Assert.False(await warehouse.PingAsync(default));
    }
}
