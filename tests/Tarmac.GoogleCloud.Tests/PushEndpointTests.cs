using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>
/// The process function alone on the Google Cloud backend, over HTTP on loopback: Pub/Sub pushes with OIDC tokens
/// signed by a test key served from an in-test JWKS URL, loading into the fake BigQuery.
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

    [Fact]
    public async Task A_valid_push_loads_the_rows_and_records_the_outcome_before_answering()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);

        using var response = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("upload_id").GetString());
        Assert.Equal("loaded", body.GetProperty("status").GetString());
        Assert.Equal(7, body.GetProperty("rows_loaded").GetInt64());

        var rows = _fake.Rows("flights");
        Assert.Equal(7, rows.Count);
        Assert.All(rows, r => Assert.Equal(id, r["_upload_id"]!.GetValue<string>()));
        Assert.Equal([2L, 3, 4, 5, 6, 7, 8], rows.Select(r => r["_line"]!.GetValue<long>()));
        var first = rows[0];
        Assert.Equal(517, first["dep_time"]!.GetValue<long>()); // "517.0" in the file: an integral float loads as INTEGER
        Assert.Equal("2013-01-01 05:00:00.000000", first["time_hour"]!.GetValue<string>());
        Assert.Equal("United Air Lines Inc.", first["name"]!.GetValue<string>());

        // The staged rows, and the one load job over them, with the exact configuration.
        var staged = $"loads/flights/{id}-{gen}.ndjson";
        Assert.Equal([staged], _fake.ObjectNames(GcpFunctionHost.Bucket, "loads/"));
        var insert = Assert.Single(_fake.LoadJobInserts());
        var load = insert["configuration"]!["load"]!;
        Assert.Equal([$"gs://{GcpFunctionHost.Bucket}/{staged}"], load["sourceUris"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Equal("NEWLINE_DELIMITED_JSON", load["sourceFormat"]!.GetValue<string>());
        Assert.Equal("WRITE_APPEND", load["writeDisposition"]!.GetValue<string>());
        Assert.Equal("CREATE_NEVER", load["createDisposition"]!.GetValue<string>());
        Assert.Equal(JsonNode.Parse($$"""{"projectId":"{{GcpFunctionHost.Project}}","datasetId":"{{GcpFunctionHost.Dataset}}","tableId":"flights"}"""),
            load["destinationTable"], JsonNode.DeepEquals);
        var fields = load["schema"]!["fields"]!.AsArray().Select(f => $"{f!["name"]}:{f["type"]}:{f["mode"]}").ToList();
        Assert.Equal(24, fields.Count);
        Assert.Equal(["id:INTEGER:REQUIRED", "year:INTEGER:REQUIRED"], fields.Take(2));
        Assert.Equal(["_upload_id:STRING:REQUIRED", "_line:INTEGER:REQUIRED", "_loaded_at:TIMESTAMP:REQUIRED"], fields.TakeLast(3));
        var jobId = insert["jobReference"]!["jobId"]!.GetValue<string>();
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{GcpFunctionHost.Bucket}/{name}#{gen}")))[..32];
        Assert.Equal($"tarmac_load_flights_{key}_0", jobId);
        Assert.Equal("US", insert["jobReference"]!["location"]!.GetValue<string>());
        Assert.True(_fake.RequestsTo("GET", $"/jobs/{jobId}").Any()); // RUNNING at insert: re-read until DONE

        // Ledger: registered (the object was unknown), planned with the job, then loaded.
        var events = _fake.Rows("upload_events").Where(e => e["upload_id"]!.GetValue<string>() == id).ToList();
        Assert.Equal(["stored", "stored", "loaded"], events.Select(e => e["status"]!.GetValue<string>()));
        Assert.Null(events[0]["job_id"]);
        Assert.Equal(jobId, events[1]["job_id"]!.GetValue<string>());
        Assert.Equal(jobId, events[2]["job_id"]!.GetValue<string>());
        Assert.Equal(7, events[2]["rows_loaded"]!.GetValue<long>());
        Assert.Equal(gen, events[2]["generation"]!.GetValue<long>());
        Assert.Equal("seed.csv", events[2]["file_name"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SampleData.SeedCsv))), events[2]["sha256"]!.GetValue<string>());
        // The claim that makes the bytes' registration atomic.
        Assert.Equal(id, Encoding.UTF8.GetString(_fake.ObjectBytes(GcpFunctionHost.Bucket, $"claims/flights/{events[2]["sha256"]}")!));
    }

    [Fact]
    public async Task A_redelivered_push_loads_nothing_twice()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        using (var first = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var again = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode); // settled: nothing to do
        Assert.Single(_fake.LoadJobInserts());
        Assert.Equal(7, _fake.Rows("flights").Count);
        Assert.Equal(3, _fake.Rows("upload_events").Count(e => e["upload_id"]!.GetValue<string>() == id));
    }

    [Fact]
    public async Task A_redelivery_after_a_crash_between_load_and_ledger_adopts_the_job_instead_of_loading_again()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        // The outcome's ledger write fails on every retry: the rows are loaded but the push is answered 5xx.
        _fake.FailWhen(r => r.Path.EndsWith("/tables/upload_events/insertAll", StringComparison.Ordinal)
            && Encoding.UTF8.GetString(r.Body).Contains("\"status\":\"loaded\"", StringComparison.Ordinal), 503, times: 6);

        using (var first = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(7, _fake.Rows("flights").Count);

        using var redelivered = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        var body = await redelivered.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("loaded", body.GetProperty("status").GetString());
        Assert.Equal(7, body.GetProperty("rows_loaded").GetInt64());
        Assert.Single(_fake.LoadJobInserts());
        Assert.Equal(7, _fake.Rows("flights").Count);
        Assert.Equal("loaded", _fake.Rows("upload_events").Last(e => e["upload_id"]!.GetValue<string>() == id)["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_pushes_within_the_window_share_one_load_job()
    {
        var uploads = Enumerable.Range(0, 5).Select(i => PutUpload(SampleData.SeedCsv.Replace("UA,1545", $"UA,{9000 + i}", StringComparison.Ordinal))).ToList();

        var responses = await Task.WhenAll(uploads.Select(u => PushAsync(u.Name, u.Generation)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var insert = Assert.Single(_fake.LoadJobInserts());
        Assert.Equal(5, insert["configuration"]!["load"]!["sourceUris"]!.AsArray().Count);
        Assert.Equal(35, _fake.Rows("flights").Count);
        foreach (var r in responses) r.Dispose();
    }

    [Fact]
    public async Task Bad_data_is_a_final_outcome_answered_2xx_not_a_redelivery_loop()
    {
        var (name, gen, id) = PutUpload("this,is,not\nthe,flights,header\n");

        using var response = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rejected", body.GetProperty("status").GetString());
        Assert.Empty(_fake.LoadJobInserts());
        var last = _fake.Rows("upload_events").Last(e => e["upload_id"]!.GetValue<string>() == id);
        Assert.Equal("rejected", last["status"]!.GetValue<string>());
        Assert.Contains("missing required column(s): id", last["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Some_bad_rows_load_the_good_ones_and_report_the_bad()
    {
        var csv = SampleData.SeedCsv.Replace("0,2013,1,1,517.0", "0,2013,1,1,517.5", StringComparison.Ordinal);
        var (name, gen, id) = PutUpload(csv);

        using var response = await PushAsync(name, gen);

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("partially_loaded", body.GetProperty("status").GetString());
        Assert.Equal(6, body.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(1, body.GetProperty("rows_rejected").GetInt64());
        Assert.Equal(6, _fake.Rows("flights").Count);
        var errors = JsonNode.Parse(_fake.Rows("upload_events").Last(e => e["upload_id"]!.GetValue<string>() == id)["errors"]!.GetValue<string>())!.AsArray();
        var error = Assert.Single(errors);
        Assert.Equal(2, error!["line"]!.GetValue<long>());
        Assert.Equal("dep_time", error["column"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_vanished_object_is_recorded_failed_and_answered_2xx()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        // Ingest registered it, then the object disappeared before processing.
        using (var seed = await PushAsync(name, gen, eventType: "OBJECT_METADATA_UPDATE")) Assert.Equal(HttpStatusCode.NoContent, seed.StatusCode);
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
        var last = _fake.Rows("upload_events").Last(e => e["upload_id"]!.GetValue<string>() == id);
        Assert.Equal("failed", last["status"]!.GetValue<string>());
        Assert.Contains("vanished", last["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_fake.LoadJobInserts());
    }

    [Fact]
    public async Task BigQuery_unavailable_after_retries_answers_503_and_leaves_the_upload_stored_for_redelivery()
    {
        var (name, gen, id) = PutUpload(SampleData.SeedCsv);
        _fake.Fail("POST", "/jobs", 503, times: 6); // the first try and all 5 retries

        using var response = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(6, _fake.RequestsTo("POST", $"/projects/{GcpFunctionHost.Project}/jobs").Count());
        Assert.Equal("stored", _fake.Rows("upload_events").Last(e => e["upload_id"]!.GetValue<string>() == id)["status"]!.GetValue<string>());
        Assert.Empty(_fake.Rows("flights"));

        using var redelivered = await PushAsync(name, gen);
        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        Assert.Equal(7, _fake.Rows("flights").Count);
    }

    [Fact]
    public async Task A_429_is_retried_with_backoff_and_then_succeeds()
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        _fake.Fail("POST", "/jobs", 429, times: 2, reason: "rateLimitExceeded");

        using var response = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, _fake.RequestsTo("POST", $"/projects/{GcpFunctionHost.Project}/jobs").Count());
        Assert.Single(_fake.Jobs);
        Assert.Equal(7, _fake.Rows("flights").Count);
    }

    [Fact]
    public async Task A_job_that_failed_is_not_reused_the_redelivery_runs_the_next_job_id()
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        _fake.FailNextLoadJobs = 1;
        _fake.LoadJobFailureReason = "backendError";

        using (var first = await PushAsync(name, gen)) Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        using var second = await PushAsync(name, gen);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var ids = _fake.LoadJobInserts().Select(j => j["jobReference"]!["jobId"]!.GetValue<string>()).ToList();
        Assert.Equal(3, ids.Count); // _0 (failed), _0 again (409: adopted, failed, skipped), _1 (loads)
        Assert.EndsWith("_0", ids[0], StringComparison.Ordinal);
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(ids[0][..^1] + "1", ids[2]);
        Assert.Equal(7, _fake.Rows("flights").Count);
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
        Assert.Empty(_fake.Rows("upload_events"));
    }

    [Theory]
    [InlineData("someone@tarmac-test.iam.gserviceaccount.com", true)]
    [InlineData(GcpFunctionHost.PushAccount, false)]
    public async Task A_valid_token_of_another_identity_is_403(string email, bool verified)
    {
        var (name, gen, _) = PutUpload(SampleData.SeedCsv);
        using var response = await PushAsync(name, gen, _tokens.Mint(email: email, emailVerified: verified));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(_fake.Rows("upload_events"));
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
        Assert.Empty(_fake.Rows("upload_events"));
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
        Assert.Empty(_fake.Rows("upload_events"));
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
        var staged = _fake.PutObject(GcpFunctionHost.Bucket, "loads/flights/x.ndjson", "{}"u8.ToArray());
        using (var outside = await PushAsync("loads/flights/x.ndjson", staged)) Assert.Equal(HttpStatusCode.NoContent, outside.StatusCode);
        using (var otherBucket = await _process.Http.SendAsync(GcpFunctionHost.PushRequest(_tokens.Mint(), "someone-elses-bucket", name, gen)))
            Assert.Equal(HttpStatusCode.NoContent, otherBucket.StatusCode);
        Assert.Empty(_fake.Rows("upload_events"));
        Assert.Empty(_fake.LoadJobInserts());
    }
}
