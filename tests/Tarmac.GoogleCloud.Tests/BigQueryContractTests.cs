using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.BigQuery;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>The BigQuery REST client, ledger and reader against the fake, asserting the exact requests.</summary>
public sealed class BigQueryContractTests : IAsyncLifetime
{
    private readonly FakeGoogleCloud _fake = new();
    private GoogleCloudOptions _options = null!;
    private BigQueryClient _client = null!;
    private BigQueryUploadLedger _ledger = null!;
    private GcsObjectStore _bucket = null!;

    public Task InitializeAsync()
    {
        _options = new GoogleCloudOptions
        {
            Project = "p1", RawBucket = "raw1", Dataset = "d1", Location = "europe-west1", BigQueryEndpoint = _fake.BigQueryEndpoint,
            StorageEmulatorHost = _fake.BaseUrl, QueryTimeoutMs = 7000, MaxBytesBilled = 123456789,
        };
        _client = new BigQueryClient(new HttpClient { BaseAddress = _options.BigQueryBaseUri }, _options, TimeSpan.FromMilliseconds(1));
        _bucket = new GcsObjectStore(GcsObjectStore.CreateClient(_options), "raw1");
        _ledger = new BigQueryUploadLedger(_client, _bucket, TimeProvider.System);
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

    [Fact]
    public async Task Queries_send_named_typed_parameters_timeout_byte_cap_and_location_and_follow_page_tokens()
    {
        _fake.QueryPageSize = 2;
        var rows = _fake.Rows("flights");
        for (var i = 0; i < 5; i++)
            rows.Add(JsonNode.Parse($"{{\"id\":{i},\"carrier\":\"UA\",\"_upload_id\":\"u\",\"_line\":{i + 2}}}")!.AsObject()); // as parsed from staged NDJSON
        var dataset = SchemaCatalog.Parse("flights", """[{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"carrier","type":"STRING"}]""");
        var warehouse = new BigQueryWarehouse(_client, _ledger, _bucket, TimeProvider.System, NullLogger<BigQueryWarehouse>.Instance);

        var result = await warehouse.ReadFirstRowsAsync(dataset, 4, default);

        Assert.Equal([0L, 1, 2, 3], result.Select(r => (long)r["id"]!));
        Assert.All(result, r => Assert.Equal("UA", r["carrier"]));
        var query = Assert.Single(_fake.RequestsTo("POST", "/projects/p1/queries")).Json!;
        Assert.Equal("SELECT `id`, `carrier` FROM `p1.d1.flights` ORDER BY _upload_id, _line LIMIT @limit", query["query"]!.GetValue<string>());
        Assert.False(query["useLegacySql"]!.GetValue<bool>());
        Assert.Equal("NAMED", query["parameterMode"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"limit","parameterType":{"type":"INT64"},"parameterValue":{"value":"4"}}]"""), query["queryParameters"]));
        Assert.Equal(7000, query["timeoutMs"]!.GetValue<int>());
        Assert.Equal("123456789", query["maximumBytesBilled"]!.GetValue<string>());
        Assert.Equal("europe-west1", query["location"]!.GetValue<string>());
        Assert.True(query["formatOptions"]!["useInt64Timestamp"]!.GetValue<bool>());
        var next = Assert.Single(_fake.RequestsTo("GET", "/projects/p1/queries/"));
        Assert.Contains("pageToken=2", next.Query, StringComparison.Ordinal);
        Assert.Contains("location=europe-west1", next.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_claims_the_bytes_create_only_and_appends_a_stored_event_with_an_insertId()
    {
        var candidate = Candidate(new string('1', 64));

        var result = await _ledger.RegisterAsync(candidate, default);

        Assert.Equal(RegisterOutcome.Created, result.Outcome);
        Assert.Equal(candidate.UploadId, Encoding.UTF8.GetString(_fake.ObjectBytes("raw1", $"claims/flights/{candidate.Sha256}")!));
        Assert.Contains("ifGenerationMatch=0", Assert.Single(_fake.RequestsTo("POST", "/upload/storage/v1/b/raw1/o")).Query, StringComparison.Ordinal);
        var insert = Assert.Single(_fake.RequestsTo("POST", "/projects/p1/datasets/d1/tables/upload_events/insertAll")).Json!;
        var row = insert["rows"]![0]!;
        Assert.StartsWith($"{candidate.UploadId}:stored:", row["insertId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(insert["skipInvalidRows"]!.GetValue<bool>());
        var json = row["json"]!;
        Assert.Equal("stored", json["status"]!.GetValue<string>());
        Assert.Equal(candidate.Object, json["object"]!.GetValue<string>());
        Assert.Equal(42, json["bytes"]!.GetValue<long>());
        Assert.Equal("curl/8", json["client"]!.GetValue<string>());

        var read = await _ledger.GetAsync(candidate.UploadId, default);
        Assert.Equal(UploadStatus.Stored, read!.Status);
        Assert.Equal(candidate.Object, read.Object);
        Assert.Equal(candidate.Sha256, read.Sha256);
        var lookup = _fake.RequestsTo("POST", "/projects/p1/queries").Last().Json!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""[{"name":"upload_ids","parameterType":{"type":"ARRAY","arrayType":{"type":"STRING"}},"parameterValue":{"arrayValues":[{"value":"{{{candidate.UploadId}}}"}]}}]"""), lookup["queryParameters"]));
    }

    [Fact]
    public async Task The_same_bytes_again_are_a_duplicate_of_the_first_upload_and_registering_an_id_twice_is_idempotent()
    {
        var first = Candidate(new string('2', 64));
        await _ledger.RegisterAsync(first, default);

        var again = await _ledger.RegisterAsync(first, default);
        var dup = await _ledger.RegisterAsync(Candidate(first.Sha256), default);

        Assert.Equal(RegisterOutcome.Created, again.Outcome);
        Assert.Equal(RegisterOutcome.Duplicate, dup.Outcome);
        Assert.Equal(first.UploadId, dup.Upload.UploadId);
        Assert.Single(_fake.Rows("upload_events"));
    }

    [Fact]
    public async Task Bytes_that_failed_before_are_retried_on_the_new_object()
    {
        var first = Candidate(new string('3', 64));
        await _ledger.RegisterAsync(first, default);
        await _ledger.MarkFailedAsync(first.UploadId, "boom", default);
        Assert.Equal(UploadStatus.Failed, (await _ledger.GetAsync(first.UploadId, default))!.Status);

        var second = Candidate(first.Sha256);
        var retry = await _ledger.RegisterAsync(second, default);

        Assert.Equal(RegisterOutcome.Retry, retry.Outcome);
        Assert.Equal(first.UploadId, retry.Upload.UploadId);
        var now = await _ledger.GetAsync(first.UploadId, default);
        Assert.Equal(UploadStatus.Stored, now!.Status);
        Assert.Equal(second.Object, now.Object);
        Assert.Null(now.Error);
        Assert.Equal(1, now.Attempts);
    }

    [Fact]
    public async Task MarkFailed_leaves_a_settled_upload_alone()
    {
        var c = Candidate(new string('4', 64));
        await _ledger.RegisterAsync(c, default);
        await _ledger.AppendAsync([LedgerEvent.From(c with { Status = UploadStatus.Loaded }, DateTimeOffset.UtcNow.AddSeconds(1))], default);

        await _ledger.MarkFailedAsync(c.UploadId, "late", default);

        Assert.Equal(UploadStatus.Loaded, (await _ledger.GetAsync(c.UploadId, default))!.Status);
        Assert.Equal(2, _fake.Rows("upload_events").Count);
    }

    [Fact]
    public async Task ListByStatus_filters_by_status_with_a_limit()
    {
        var a = Candidate(new string('5', 64));
        var b = Candidate(new string('6', 64));
        await _ledger.RegisterAsync(a, default);
        await _ledger.RegisterAsync(b, default);
        await _ledger.MarkFailedAsync(b.UploadId, "x", default);

        var stored = await _ledger.ListByStatusAsync(UploadStatus.Stored, 10, default);

        Assert.Equal([a.UploadId], stored.Select(u => u.UploadId));
        var q = _fake.RequestsTo("POST", "/projects/p1/queries").Last().Json!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"status","parameterType":{"type":"STRING"},"parameterValue":{"value":"stored"}},{"name":"limit","parameterType":{"type":"INT64"},"parameterValue":{"value":"10"}}]"""), q["queryParameters"]));
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
        Assert.Single(_fake.RequestsTo("GET", "/projects/p1/jobs/j1"));
        Assert.Contains("location=europe-west1", _fake.RequestsTo("GET", "/projects/p1/jobs/j1").Single().Query, StringComparison.Ordinal);
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
    public async Task insertAll_row_errors_fail_the_call_instead_of_losing_the_event()
    {
        _fake.RejectNextInsertAll = true;
        var e = await Assert.ThrowsAsync<BigQueryException>(() => _ledger.RegisterAsync(Candidate(new string('7', 64)), default));
        Assert.Equal("invalid", e.Reason);
        Assert.Empty(_fake.Rows("upload_events"));
    }

    [Fact]
    public async Task Ping_answers_false_when_BigQuery_does_not()
    {
        var warehouse = new BigQueryWarehouse(_client, _ledger, _bucket, TimeProvider.System, NullLogger<BigQueryWarehouse>.Instance);
        Assert.True(await warehouse.PingAsync(default));
        _fake.Fail("POST", "/queries", 500, times: 6);
        Assert.False(await warehouse.PingAsync(default));
    }
}
