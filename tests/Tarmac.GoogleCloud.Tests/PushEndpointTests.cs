using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>
/// The process function alone on the Google Cloud backend, over HTTP on loopback: Pub/Sub pushes and Cloud Scheduler runs
/// with OIDC tokens signed by a test key served from an in-test JWKS URL, staging into the fake Cloud Storage and loading
/// into the fake BigQuery.
/// </summary>
public sealed class PushEndpointTests : IAsyncLifetime
{
    private readonly FakeGoogleCloud _fake = new();
    private readonly PushTokens _tokens = new();
    private GcpFunctionHost _process = null!;

    public async Task InitializeAsync()
    {
        _fake.Jwks = _tokens.Jwks;
        _process = await GcpFunctionHost.StartAsync(CloudFunction.Process, GcpFunctionHost.Settings(_fake));
    }

    public async Task DisposeAsync()
    {
        await _process.DisposeAsync();
        await _fake.DisposeAsync();
        _tokens.Dispose();
    }

    private (string Name, long Generation, string UploadId) PutUpload(string csv, string dataset = "flights")
    {
        var id = Guid.CreateVersion7().ToString("N");
        var name = $"raw/{dataset}/2026-11-28/{id}.csv";
        return (name, _fake.PutObject(GcpFunctionHost.Bucket, name, Encoding.UTF8.GetBytes(csv), new() { ["file_name"] = "seed.csv" }), id);
    }

    private Task<HttpResponseMessage> PushAsync(string name, long generation, string? token = null, string eventType = "OBJECT_FINALIZE") =>
        _process.Http.SendAsync(GcpFunctionHost.PushRequest(token ?? _tokens.Mint(), GcpFunctionHost.Bucket, name, generation, eventType));

    private Task<HttpResponseMessage> FlushAsync(GcpFunctionHost? host = null) =>
        (host ?? _process).Http.SendAsync(GcpFunctionHost.ScheduledRun("/flush", _tokens.Mint()));

    private JsonNode State(string id) => JsonNode.Parse(_fake.ObjectBytes(GcpFunctionHost.Bucket, $"state/uploads/{id}.json")!)!;

    private static string ManifestId(params (string Id, string Staged)[] entries) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', entries.OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => $"{e.Id} {e.Staged}")))))[..32];

    private List<string> AuditStatuses(string id) =>
        _fake.InsertedRows("upload_events").Where(e => e["upload_id"]!.GetValue<string>() == id).Select(e => e["status"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task A_valid_push_is_answered_once_its_rows_are_staged_and_the_flush_loads_them_with_one_job()
    {
        // Streamed rows never become visible here: the flow must not read back its own audit rows.
        _fake.StreamedRowsVisible = false;
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);

        using var response = await PushAsync(name, gen);

        // Answered before any load job: the rows are validated and staged, the upload stays stored.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((id, "stored"), (body.GetProperty("upload_id").GetString(), body.GetProperty("status").GetString()));
        Assert.Empty(_fake.LoadJobInserts());
        var staged = $"staging/flights/{id}-{gen}.ndjson";
        Assert.Equal([staged], _fake.ObjectNames(GcpFunctionHost.Bucket, "staging/"));
        var firstLine = JsonNode.Parse(Encoding.UTF8.GetString(_fake.ObjectBytes(GcpFunctionHost.Bucket, staged)!).Split('\n')[0])!;
        Assert.Equal("517", firstLine["dep_time"]!.GetValue<string>()); // INT64 as a JSON string
        Assert.Equal("2", firstLine["_line"]!.GetValue<string>());
        Assert.Equal(staged, State(id)["staged"]!["object"]!.GetValue<string>());
        Assert.Equal(7, State(id)["staged"]!["rows_loaded"]!.GetValue<long>());
        Assert.NotNull(_fake.ObjectBytes(GcpFunctionHost.Bucket, $"state/pending/flights/{id}"));

        using var flush = await FlushAsync();

        Assert.Equal(HttpStatusCode.OK, flush.StatusCode);
        var insert = Assert.Single(_fake.LoadJobInserts());
        var load = insert["configuration"]!["load"]!;
        Assert.Equal([$"gs://{GcpFunctionHost.Bucket}/{staged}"], load["sourceUris"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Equal("NEWLINE_DELIMITED_JSON", load["sourceFormat"]!.GetValue<string>());
        Assert.Equal("WRITE_APPEND", load["writeDisposition"]!.GetValue<string>());
        Assert.Equal("CREATE_NEVER", load["createDisposition"]!.GetValue<string>());
        Assert.Equal(0, load["maxBadRecords"]!.GetValue<int>());
        Assert.Equal(JsonNode.Parse($$"""{"projectId":"{{GcpFunctionHost.Project}}","datasetId":"{{GcpFunctionHost.Dataset}}","tableId":"flights"}"""),
            load["destinationTable"], JsonNode.DeepEquals);
        var fields = load["schema"]!["fields"]!.AsArray().Select(f => $"{f!["name"]}:{f["type"]}:{f["mode"]}").ToList();
        Assert.Equal(24, fields.Count);
        Assert.Equal(["id:INTEGER:REQUIRED", "year:INTEGER:REQUIRED"], fields.Take(2));
        Assert.Equal(["_upload_id:STRING:REQUIRED", "_line:INTEGER:REQUIRED", "_loaded_at:TIMESTAMP:REQUIRED"], fields.TakeLast(3));
        var jobId = insert["jobReference"]!["jobId"]!.GetValue<string>();
        Assert.Equal($"tarmac_load_flights_{ManifestId((id, staged))}_0", jobId);
        Assert.Equal("US", insert["jobReference"]!["location"]!.GetValue<string>());
        Assert.True(_fake.RequestsTo("GET", $"/jobs/{jobId}").Any()); // RUNNING at insert: re-read until DONE

        var rows = _fake.Rows("flights");
        Assert.Equal(7, rows.Count);
        Assert.All(rows, r => Assert.Equal(id, r["_upload_id"]!.GetValue<string>()));
        Assert.Equal([2L, 3, 4, 5, 6, 7, 8], rows.Select(r => r["_line"]!.GetValue<long>()));
        Assert.Equal(517, rows[0]["dep_time"]!.GetValue<long>()); // "517.0" in the file: an integral float loads as INTEGER
        Assert.Equal("2013-01-01 05:00:00.000000", rows[0]["time_hour"]!.GetValue<string>());
        Assert.Equal("United Air Lines Inc.", rows[0]["name"]!.GetValue<string>());

        var record = await _process.Service<Tarmac.Core.Ports.IUploadLedger>().GetAsync(id, default);
        Assert.Equal((Tarmac.Core.Uploads.UploadStatus.Loaded, 7L, 0L), (record!.Status, record.RowsLoaded, record.RowsRejected));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SampleData.SeedCsv))), record.Sha256);
        Assert.Equal("seed.csv", record.FileName);
        Assert.Null(_fake.ObjectBytes(GcpFunctionHost.Bucket, $"state/pending/flights/{id}"));
        Assert.Null(_fake.ObjectBytes(GcpFunctionHost.Bucket, $"state/open/{id}"));
        Assert.Equal(id, Encoding.UTF8.GetString(_fake.ObjectBytes(GcpFunctionHost.Bucket, $"claims/flights/{record.Sha256}")!));
        // The audit trail: registered, then loaded by that job. Nothing queried it.
        Assert.Equal(["stored", "loaded"], AuditStatuses(id));
        Assert.Equal(jobId, _fake.InsertedRows("upload_events").Last(e => e["upload_id"]!.GetValue<string>() == id)["job_id"]!.GetValue<string>());
        Assert.DoesNotContain(_fake.RequestsTo("POST", "/queries"), q => q.Body.Length > 0 && Encoding.UTF8.GetString(q.Body).Contains("upload_events", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redelivered_pushes_stage_nothing_twice_and_load_nothing_twice()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        using (var first = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var again = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, again.StatusCode); // staged: nothing to do
        using (var flush = await FlushAsync()) Assert.Equal(HttpStatusCode.OK, flush.StatusCode);
        using (var late = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.NoContent, late.StatusCode); // settled
        using (var flushAgain = await FlushAsync()) Assert.Equal(HttpStatusCode.OK, flushAgain.StatusCode);

        Assert.Single(_fake.RequestsTo("POST", "/upload/storage/v1/b/tarmac-raw/o"), r => r.Json?["name"]?.GetValue<string>()?.StartsWith("staging/", StringComparison.Ordinal) == true);
        Assert.Single(_fake.LoadJobInserts());
        Assert.Equal(7, _fake.Rows("flights").Count);
        Assert.Equal(["stored", "loaded"], AuditStatuses(id));
    }

    [Fact]
    public async Task Two_process_instances_fed_concurrent_redeliveries_load_every_row_exactly_once()
    {
        await using var second = await GcpFunctionHost.StartAsync(CloudFunction.Process, GcpFunctionHost.Settings(_fake));
        var uploads = Enumerable.Range(0, 3).Select(i => PutUpload(SampleData.SeedCsv.Replace("UA,1545", $"UA,{7000 + i}", StringComparison.Ordinal))).ToList();

        // Pub/Sub may deliver a message again while the first delivery is still running, to another instance.
        var pushes = uploads.SelectMany(u => new[] { _process, second, _process, second }
            .Select(h => h.Http.SendAsync(GcpFunctionHost.PushRequest(_tokens.Mint(), GcpFunctionHost.Bucket, u.Name, u.Generation))));
        var answers = await Task.WhenAll(pushes);
        var flushes = await Task.WhenAll(FlushAsync(_process), FlushAsync(second), FlushAsync(_process));
        using (var last = await FlushAsync(second)) Assert.Equal(HttpStatusCode.OK, last.StatusCode);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(flushes, f => Assert.Equal(HttpStatusCode.OK, f.StatusCode));
        Assert.Equal(21, _fake.Rows("flights").Count);
        Assert.Equal(21, _fake.Rows("flights").Select(r => (r["_upload_id"]!.GetValue<string>(), r["_line"]!.GetValue<long>())).Distinct().Count());
        Assert.All(uploads, u => Assert.Equal("loaded", State(u.UploadId)["upload"]!["status"]!.GetValue<string>()));
        foreach (var r in answers.Concat(flushes)) r.Dispose();
    }

    [Fact]
    public async Task A_flush_that_died_after_inserting_its_job_is_resumed_with_the_same_job_id()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        using (var push = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        // What a flush leaves when its instance is killed after jobs.insert: the lease (expired) names the manifest,
        // and the job ran. Nothing recorded the outcome yet.
        var staged = $"staging/flights/{id}-{gen}.ndjson";
        var manifest = ManifestId((id, staged));
        var jobId = $"tarmac_load_flights_{manifest}_0";
        _fake.PutObject(GcpFunctionHost.Bucket, "state/flush/flights.json", Encoding.UTF8.GetBytes($$$"""
            {"holder":"dead-instance","until":"2000-01-01T00:00:00+00:00","manifest":{"id":"{{{manifest}}}","attempt":0,"entries":[{"upload_id":"{{{id}}}","object":"{{{staged}}}"}]}}
            """));
        _fake.Jobs[jobId] = JsonNode.Parse($$$"""{"jobReference":{"jobId":"{{{jobId}}}"},"status":{"state":"DONE"}}""")!.AsObject();

        using var flush = await FlushAsync();

        Assert.Equal(HttpStatusCode.OK, flush.StatusCode);
        var insert = Assert.Single(_fake.LoadJobInserts()); // answered 409: the job exists, and is adopted
        Assert.Equal(jobId, insert["jobReference"]!["jobId"]!.GetValue<string>());
        Assert.Single(_fake.Jobs);
        Assert.Equal("loaded", State(id)["upload"]!["status"]!.GetValue<string>());
        Assert.Null(JsonNode.Parse(_fake.ObjectBytes(GcpFunctionHost.Bucket, "state/flush/flights.json")!)!["manifest"]);
    }

    [Fact]
    public async Task Uploads_staged_before_a_flush_share_one_load_job()
    {
        var uploads = Enumerable.Range(0, 5).Select(i => PutUpload(SampleData.SeedCsv.Replace("UA,1545", $"UA,{9000 + i}", StringComparison.Ordinal))).ToList();

        var responses = await Task.WhenAll(uploads.Select(u => PushAsync(u.Name, u.Generation)));
        using var flush = await FlushAsync();

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var insert = Assert.Single(_fake.LoadJobInserts());
        Assert.Equal(5, insert["configuration"]!["load"]!["sourceUris"]!.AsArray().Count);
        Assert.Equal(35, _fake.Rows("flights").Count);
        foreach (var r in responses) r.Dispose();
    }

    [Fact]
    public async Task Bad_data_is_a_final_outcome_answered_2xx_at_once_not_a_redelivery_loop()
    {
        var (name, gen, id) = PutUpload("this,is,not\nthe,flights,header\n");

        using var response = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rejected", body.GetProperty("status").GetString());
        Assert.Empty(_fake.LoadJobInserts());
        Assert.Empty(_fake.ObjectNames(GcpFunctionHost.Bucket, "state/pending/"));
        var record = await _process.Service<Tarmac.Core.Ports.IUploadLedger>().GetAsync(id, default);
        Assert.Contains("missing required column(s): id", Assert.Single(record!.Errors).Reason, StringComparison.Ordinal);
        Assert.Equal(["stored", "rejected"], AuditStatuses(id));
    }

    [Fact]
    public async Task An_object_over_the_size_limit_is_rejected_from_its_metadata_without_being_read()
    {
        var settings = GcpFunctionHost.Settings(_fake);
        settings["TARMAC_MAX_OBJECT_BYTES"] = "100";
        await using var small = await GcpFunctionHost.StartAsync(CloudFunction.Process, settings);
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);

        using var response = await small.Http.SendAsync(GcpFunctionHost.PushRequest(_tokens.Mint(), GcpFunctionHost.Bucket, name, gen));

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rejected", body.GetProperty("status").GetString());
        Assert.DoesNotContain(_fake.RequestsTo("GET", $"/o/{name}"), r => r.Query.Contains("alt=media", StringComparison.Ordinal));
        var record = await small.Service<Tarmac.Core.Ports.IUploadLedger>().GetAsync(id, default);
        Assert.Contains("the most a file may have is 100 bytes", Assert.Single(record!.Errors).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Some_bad_rows_load_the_good_ones_and_report_the_bad()
    {
        var csv = SampleData.SeedCsv.Replace("0,2013,1,1,517.0", "0,2013,1,1,517.5", StringComparison.Ordinal);
        var (name, gen, id) = PutUpload(csv);

        using (var push = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        using var flush = await FlushAsync();

        var record = await _process.Service<Tarmac.Core.Ports.IUploadLedger>().GetAsync(id, default);
        Assert.Equal((Tarmac.Core.Uploads.UploadStatus.PartiallyLoaded, 6L, 1L), (record!.Status, record.RowsLoaded, record.RowsRejected));
        Assert.Equal(6, _fake.Rows("flights").Count);
        var error = Assert.Single(record.Errors);
        Assert.Equal((2L, "dep_time"), (error.Line, error.Column));
        var audit = _fake.InsertedRows("upload_events").Last(e => e["upload_id"]!.GetValue<string>() == id);
        Assert.Equal(2, JsonNode.Parse(audit["errors"]!.GetValue<string>())![0]!["line"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_vanished_object_is_recorded_failed_and_answered_2xx()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        // Ingest registered it, then the object disappeared before processing.
        var ledger = _process.Service<Tarmac.Core.Ports.IUploadLedger>();
        await ledger.RegisterAsync(new Tarmac.Core.Uploads.UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = name, Bytes = 1, Sha256 = new string('a', 64),
            Status = Tarmac.Core.Uploads.UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
        }, default);
        _fake.DeleteObject(GcpFunctionHost.Bucket, name);

        using var response = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("failed", body.GetProperty("status").GetString());
        Assert.Contains("vanished", (await ledger.GetAsync(id, default))!.Error, StringComparison.Ordinal);
        Assert.Equal(["stored", "failed"], AuditStatuses(id));
        Assert.Empty(_fake.LoadJobInserts());
    }

    [Fact]
    public async Task BigQuery_unavailable_fails_the_flush_with_503_and_the_next_flush_loads_everything_once()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        using (var push = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, push.StatusCode); // staging needs no BigQuery
        _fake.Fail("POST", "/jobs", 503, times: 6); // the first try and all 5 retries

        using var response = await FlushAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(6, _fake.RequestsTo("POST", $"/projects/{GcpFunctionHost.Project}/jobs").Count());
        Assert.Equal("stored", State(id)["upload"]!["status"]!.GetValue<string>());
        Assert.Empty(_fake.Rows("flights"));

        using var again = await FlushAsync();
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(7, _fake.Rows("flights").Count);
        Assert.Equal("loaded", State(id)["upload"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_429_is_retried_with_backoff_and_then_succeeds()
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using (var push = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        _fake.Fail("POST", "/jobs", 429, times: 2, reason: "rateLimitExceeded");

        using var response = await FlushAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, _fake.RequestsTo("POST", $"/projects/{GcpFunctionHost.Project}/jobs").Count());
        Assert.Single(_fake.Jobs);
        Assert.Equal(7, _fake.Rows("flights").Count);
    }

    [Fact]
    public async Task A_job_that_failed_is_not_reused_the_next_flush_runs_the_next_job_id()
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using (var push = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        _fake.FailNextLoadJobs = 1;
        _fake.LoadJobFailureReason = "backendError";

        using (var first = await FlushAsync()) Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        using var second = await FlushAsync();

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var ids = _fake.LoadJobInserts().Select(j => j["jobReference"]!["jobId"]!.GetValue<string>()).ToList();
        Assert.Equal(3, ids.Count); // _0 (failed), _0 again (409: adopted, failed, skipped), _1 (loads)
        Assert.EndsWith("_0", ids[0], StringComparison.Ordinal);
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(ids[0][..^1] + "1", ids[2]);
        Assert.Equal(7, _fake.Rows("flights").Count);
    }

    [Fact]
    public async Task Without_a_scheduled_flush_the_instance_loads_staged_rows_after_the_batch_window()
    {
        var settings = GcpFunctionHost.Settings(_fake);
        settings["TARMAC_BATCH_WINDOW_MS"] = "50";
        await using var timed = await GcpFunctionHost.StartAsync(CloudFunction.Process, settings);
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);

        using (var push = await timed.Http.SendAsync(GcpFunctionHost.PushRequest(_tokens.Mint(), GcpFunctionHost.Bucket, name, gen)))
            Assert.Equal(HttpStatusCode.OK, push.StatusCode);

        var ledger = timed.Service<Tarmac.Core.Ports.IUploadLedger>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await ledger.GetAsync(id, default))!.Status == Tarmac.Core.Uploads.UploadStatus.Stored && DateTime.UtcNow < deadline)
            await Task.Delay(20); // polling a status, not waiting for time to pass
        Assert.Equal(Tarmac.Core.Uploads.UploadStatus.Loaded, (await ledger.GetAsync(id, default))!.Status);
        Assert.Single(_fake.LoadJobInserts());
    }

    [Fact]
    public async Task The_sweep_drives_an_upload_whose_push_was_lost_and_counts_the_overdue_ones()
    {
        var (name, _, id) = PutUpload(SampleData.SeedCsv);
        // Registered 20 minutes ago (ingest), but its notification never arrived.
        await _process.Service<Tarmac.Core.Ports.IUploadLedger>().RegisterAsync(new Tarmac.Core.Uploads.UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = name, Bytes = SampleData.SeedCsv.Length, Status = Tarmac.Core.Uploads.UploadStatus.Stored,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SampleData.SeedCsv))), ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-20),
        }, default);

        using var sweep = await _process.Http.SendAsync(GcpFunctionHost.ScheduledRun("/sweep", _tokens.Mint()));

        Assert.Equal(HttpStatusCode.OK, sweep.StatusCode);
        var report = await sweep.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, 1, 1), (report.GetProperty("sweep").GetProperty("open").GetInt32(), report.GetProperty("sweep").GetProperty("redriven").GetInt32(),
            report.GetProperty("sweep").GetProperty("overdue").GetInt32()));
        Assert.Equal("loaded", State(id)["upload"]!["status"]!.GetValue<string>());
        Assert.Equal(7, _fake.Rows("flights").Count);
    }

    [Fact]
    public async Task The_sweep_handles_dead_lettered_messages_and_acknowledges_them_once_handled()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        // The push subscription gave up on this notification (the object was never registered), and on a malformed one.
        _fake.DeadLetter(GcpFunctionHost.NotificationMessage(GcpFunctionHost.Bucket, name, gen, messageId: "m1"));
        _fake.DeadLetter(new JsonObject { ["messageId"] = "m2", ["data"] = "e30=" });

        using var sweep = await _process.Http.SendAsync(GcpFunctionHost.ScheduledRun("/sweep", _tokens.Mint()));

        Assert.Equal(HttpStatusCode.OK, sweep.StatusCode);
        var report = await sweep.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((2, 2), (report.GetProperty("dead_letters").GetProperty("pulled").GetInt32(), report.GetProperty("dead_letters").GetProperty("acknowledged").GetInt32()));
        Assert.Empty(_fake.DeadLetters);
        Assert.Equal("loaded", State(id)["upload"]!["status"]!.GetValue<string>());
        Assert.Equal(7, _fake.Rows("flights").Count);
    }

    [Fact]
    public async Task A_dead_letter_that_still_fails_is_left_for_the_next_sweep()
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        _fake.DeadLetter(GcpFunctionHost.NotificationMessage(GcpFunctionHost.Bucket, name, gen, messageId: "m1"));
        _fake.Fail("GET", $"/o/{name}", 503, times: 20); // Cloud Storage keeps failing on this object

        using var sweep = await _process.Http.SendAsync(GcpFunctionHost.ScheduledRun("/sweep", _tokens.Mint()));

        var report = await sweep.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, 0), (report.GetProperty("dead_letters").GetProperty("pulled").GetInt32(), report.GetProperty("dead_letters").GetProperty("acknowledged").GetInt32()));
        Assert.Single(_fake.DeadLetters);
    }

    [Theory]
    [InlineData("/flush")]
    [InlineData("/sweep")]
    public async Task Scheduled_runs_need_the_pushers_token(string path)
    {
        using var none = await _process.Http.SendAsync(GcpFunctionHost.ScheduledRun(path, null));
        using var other = await _process.Http.SendAsync(GcpFunctionHost.ScheduledRun(path, _tokens.Mint(email: "someone@tarmac-test.iam.gserviceaccount.com")));
        using var stripped = await _process.Http.SendAsync(GcpFunctionHost.ScheduledRun(path, PushTokens.Stripped(_tokens.Mint())));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stripped.StatusCode);
    }

    [Theory]
    [InlineData("no-token")]
    [InlineData("garbage")]
    [InlineData("wrong-audience")]
    [InlineData("wrong-issuer")]
    [InlineData("expired")]
    [InlineData("other-key")]
    public async Task Pushes_without_a_valid_token_for_our_audience_are_401(string variant)
    {
        using var other = new PushTokens("other-key");
        var token = variant switch
        {
            "no-token" => null,
            "garbage" => "not.a.jwt",
            "wrong-audience" => _tokens.Mint(audience: "https://someone-else.example/push"),
            "wrong-issuer" => _tokens.Mint(issuer: "https://evil.example"),
            "expired" => _tokens.Mint(expiresIn: TimeSpan.FromHours(-1)),
            "other-key" => other.Mint(),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);

        using var response = await _process.Http.SendAsync(GcpFunctionHost.PushRequest(token, GcpFunctionHost.Bucket, name, gen));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_fake.InsertedRows("upload_events"));
    }

    [Theory]
    [InlineData("someone@tarmac-test.iam.gserviceaccount.com", true)]
    [InlineData(GcpFunctionHost.PushAccount, false)]
    public async Task A_valid_token_of_another_identity_is_403(string email, bool verified)
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using var response = await PushAsync(name, gen, _tokens.Mint(email: email, emailVerified: verified));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(_fake.InsertedRows("upload_events"));
    }

    [Fact]
    public async Task A_token_whose_signature_Cloud_Run_removed_is_accepted_on_its_claims()
    {
        // The Cloud Run default: the service is private, so Cloud Run checked the signature before stripping it.
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using var response = await PushAsync(name, gen, PushTokens.Stripped(_tokens.Mint()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("wrong-audience", HttpStatusCode.Unauthorized)]
    [InlineData("wrong-issuer", HttpStatusCode.Unauthorized)]
    [InlineData("expired", HttpStatusCode.Unauthorized)]
    [InlineData("other-email", HttpStatusCode.Forbidden)]
    [InlineData("unverified", HttpStatusCode.Forbidden)]
    public async Task A_stripped_token_still_has_its_claims_checked(string variant, HttpStatusCode expected)
    {
        var token = variant switch
        {
            "wrong-audience" => _tokens.Mint(audience: "https://someone-else.example/push"),
            "wrong-issuer" => _tokens.Mint(issuer: "https://evil.example"),
            "expired" => _tokens.Mint(expiresIn: TimeSpan.FromHours(-1)),
            "other-email" => _tokens.Mint(email: "someone@tarmac-test.iam.gserviceaccount.com"),
            "unverified" => _tokens.Mint(emailVerified: false),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using var response = await PushAsync(name, gen, PushTokens.Stripped(token));
        Assert.Equal(expected, response.StatusCode);
        Assert.Empty(_fake.InsertedRows("upload_events"));
    }

    [Fact]
    public async Task A_stripped_token_is_refused_when_Cloud_Run_IAM_does_not_guard_the_service()
    {
        var settings = GcpFunctionHost.Settings(_fake);
        settings["TARMAC_PUSH_BEHIND_CLOUD_RUN_IAM"] = "false";
        await using var open = await GcpFunctionHost.StartAsync(CloudFunction.Process, settings);
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);

        using var response = await open.Http.SendAsync(GcpFunctionHost.PushRequest(PushTokens.Stripped(_tokens.Mint()), GcpFunctionHost.Bucket, name, gen));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_fake.InsertedRows("upload_events"));
    }

    [Fact]
    public async Task The_short_issuer_form_is_accepted()
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using var response = await PushAsync(name, gen, _tokens.Mint(issuer: "accounts.google.com"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"subscription":"s"}""")]
    [InlineData("""{"message":{"messageId":"9","attributes":{"eventType":"OBJECT_FINALIZE","bucketId":"tarmac-raw"}}}""")]
    [InlineData("""{"message":{"messageId":"9","data":"%%%notbase64","attributes":{"eventType":"OBJECT_FINALIZE","bucketId":"tarmac-raw","objectId":"raw/flights/x.csv","objectGeneration":"1"}}}""")]
    [InlineData("""{"message":{"messageId":"9","data":"bm90IGpzb24=","attributes":{"eventType":"OBJECT_FINALIZE","bucketId":"tarmac-raw","objectId":"raw/flights/x.csv","objectGeneration":"1"}}}""")]
    [InlineData("""{"message":{"messageId":"9","data":"e30=","attributes":{"eventType":"OBJECT_FINALIZE","bucketId":"tarmac-raw","objectId":"raw/flights/x.csv","objectGeneration":"x1"}}}""")]
    public async Task A_malformed_envelope_is_400(string body)
    {
        using var response = await _process.Http.SendAsync(GcpFunctionHost.RawPush(_tokens.Mint(), body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Malformed push message", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Other_events_and_objects_outside_raw_are_ignored_with_204()
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using (var deleted = await PushAsync(name, gen, eventType: "OBJECT_DELETE")) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var staged = _fake.PutObject(GcpFunctionHost.Bucket, "staging/flights/x.ndjson", "{}"u8.ToArray());
        using (var outside = await PushAsync("staging/flights/x.ndjson", staged)) Assert.Equal(HttpStatusCode.NoContent, outside.StatusCode);
        using (var otherBucket = await _process.Http.SendAsync(GcpFunctionHost.PushRequest(_tokens.Mint(), "someone-elses-bucket", name, gen)))
            Assert.Equal(HttpStatusCode.NoContent, otherBucket.StatusCode);
        Assert.Empty(_fake.InsertedRows("upload_events"));
        Assert.Empty(_fake.LoadJobInserts());
    }
}
