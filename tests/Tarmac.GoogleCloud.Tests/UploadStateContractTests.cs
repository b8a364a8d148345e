using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.BigQuery;
using Tarmac.GoogleCloud.State;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>
/// The upload ledger on Cloud Storage against the fake: state documents changed only by compare-and-set
/// (<c>ifGenerationMatch</c>, https://cloud.google.com/storage/docs/request-preconditions), dedupe claims, open markers,
/// and the audit rows that nothing reads back.
/// </summary>
public sealed class UploadStateContractTests : IAsyncLifetime
{
    private readonly FakeGoogleCloud _fake = new();
    private GcsUploadLedger _ledger = null!;
    private GcsStateObjects _state = null!;

    public Task InitializeAsync()
    {
        var options = new GoogleCloudOptions
        {
            Project = "proj-one", RawBucket = "raw1", Dataset = "d1", Location = "europe-west1", BigQueryEndpoint = _fake.BigQueryEndpoint,
            StorageEmulatorHost = _fake.BaseUrl,
        };
        var client = new BigQueryClient(new HttpClient { BaseAddress = options.BigQueryBaseUri }, options, TimeSpan.FromMilliseconds(1));
        var storage = GcsObjectStore.CreateClient(options);
        _state = new GcsStateObjects(storage, "raw1");
        _ledger = new GcsUploadLedger(_state, new GcsObjectStore(storage, "raw1"), new UploadAudit(client, NullLogger<UploadAudit>.Instance), TimeProvider.System);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static UploadRecord Candidate(string sha) => new()
    {
        UploadId = UploadIds.New(), Dataset = "flights", Object = $"raw/flights/2026-11-28/{Guid.NewGuid():N}.csv", Bytes = 42, Sha256 = sha,
        Status = UploadStatus.Stored, FileName = "f.csv", ContentType = "text/csv", Client = "curl/8", ReceivedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Register_claims_the_bytes_writes_the_state_create_only_and_reads_it_back_at_once()
    {
        // The fake's streamed rows never become visible: nothing may depend on reading them back.
        _fake.StreamedRowsVisible = false;
        var candidate = Candidate(new string('1', 64));

        var result = await _ledger.RegisterAsync(candidate, default);
        var read = await _ledger.GetAsync(candidate.UploadId, default);

        Assert.Equal(RegisterOutcome.Created, result.Outcome);
        Assert.Equal(candidate.UploadId, Encoding.UTF8.GetString(_fake.ObjectBytes("raw1", $"claims/flights/{candidate.Sha256}")!));
        Assert.NotNull(_fake.ObjectBytes("raw1", $"state/open/{candidate.UploadId}"));
        var stateWrite = _fake.RequestsTo("POST", "/upload/storage/v1/b/raw1/o").Single(r => r.Json?["name"]?.GetValue<string>() == $"state/uploads/{candidate.UploadId}.json");
        Assert.Contains("ifGenerationMatch=0", stateWrite.Query, StringComparison.Ordinal);
        Assert.Equal(UploadStatus.Stored, read!.Status);
        Assert.Equal(candidate.Object, read.Object);
        Assert.Equal(candidate.Sha256, read.Sha256);
        Assert.Equal("curl/8", read.Client);
        Assert.Empty(_fake.RequestsTo("POST", "/queries"));

        // The audit row, with INT64 values as JSON strings.
        var row = Assert.Single(_fake.InsertedRows("upload_events"));
        Assert.Equal("stored", row["status"]!.GetValue<string>());
        Assert.Equal("42", row["bytes"]!.GetValue<string>());
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
        Assert.Single(_fake.InsertedRows("upload_events"));
    }

    [Fact]
    public async Task Bytes_that_failed_before_are_retried_on_the_new_object()
    {
        var first = Candidate(new string('3', 64));
        await _ledger.RegisterAsync(first, default);
        await _ledger.MarkFailedAsync(first.UploadId, "boom", default);
        Assert.Equal(UploadStatus.Failed, (await _ledger.GetAsync(first.UploadId, default))!.Status);
        Assert.Null(_fake.ObjectBytes("raw1", $"state/open/{first.UploadId}"));

        var second = Candidate(first.Sha256);
        var retry = await _ledger.RegisterAsync(second, default);

        Assert.Equal(RegisterOutcome.Retry, retry.Outcome);
        Assert.Equal(first.UploadId, retry.Upload.UploadId);
        var now = await _ledger.GetAsync(first.UploadId, default);
        Assert.Equal(UploadStatus.Stored, now!.Status);
        Assert.Equal(second.Object, now.Object);
        Assert.Null(now.Error);
        Assert.Equal(1, now.Attempts);
        Assert.NotNull(_fake.ObjectBytes("raw1", $"state/open/{first.UploadId}"));
    }

    [Fact]
    public async Task MarkFailed_leaves_a_settled_upload_alone()
    {
        var c = Candidate(new string('4', 64));
        await _ledger.RegisterAsync(c, default);
        await _ledger.UpdateAsync(c.UploadId, s => s with { Upload = s.Upload with { Status = UploadStatus.Loaded } }, default);

        await _ledger.MarkFailedAsync(c.UploadId, "late", default);

        Assert.Equal(UploadStatus.Loaded, (await _ledger.GetAsync(c.UploadId, default))!.Status);
        Assert.Equal(["stored", "loaded"], _fake.InsertedRows("upload_events").Select(r => r["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_concurrent_change_is_never_overwritten_compare_and_set_reads_again()
    {
        var c = Candidate(new string('8', 64));
        await _ledger.RegisterAsync(c, default);
        var calls = 0;

        var result = await _ledger.UpdateAsync(c.UploadId, s =>
        {
            // The first time, another writer changes the document between our read and our write: our write must get 412.
            if (calls++ == 0)
                _state.ReplaceAsync(GcsUploadLedger.StateName(c.UploadId), (s with { Upload = s.Upload with { FileName = "theirs.csv" } }).ToJson(),
                    _fake.ObjectGeneration("raw1", GcsUploadLedger.StateName(c.UploadId)), default).GetAwaiter().GetResult();
            return s with { Upload = s.Upload with { Client = "ours" } };
        }, default);

        Assert.Equal(2, calls);
        Assert.Equal(("theirs.csv", "ours"), (result!.Upload.FileName, result.Upload.Client));
        var read = await _ledger.GetAsync(c.UploadId, default);
        Assert.Equal(("theirs.csv", "ours"), (read!.FileName, read.Client));
    }

    [Fact]
    public async Task ListByStatus_lists_the_open_uploads_oldest_first_with_a_limit()
    {
        var a = Candidate(new string('5', 64)) with { ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-2) };
        var b = Candidate(new string('6', 64));
        var c = Candidate(new string('7', 64)) with { ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-1) };
        foreach (var u in new[] { a, b, c }) await _ledger.RegisterAsync(u, default);
        await _ledger.MarkFailedAsync(b.UploadId, "x", default);

        Assert.Equal([a.UploadId, c.UploadId], (await _ledger.ListByStatusAsync(UploadStatus.Stored, 10, default)).Select(u => u.UploadId));
        Assert.Equal([a.UploadId], (await _ledger.ListByStatusAsync(UploadStatus.Stored, 1, default)).Select(u => u.UploadId));
        Assert.Empty(await _ledger.ListByStatusAsync(UploadStatus.Failed, 10, default));
    }

    [Fact]
    public async Task An_audit_append_that_fails_does_not_fail_the_registration()
    {
        _fake.RejectNextInsertAll = true;
        var c = Candidate(new string('9', 64));

        var result = await _ledger.RegisterAsync(c, default);

        Assert.Equal(RegisterOutcome.Created, result.Outcome);
        Assert.Equal(UploadStatus.Stored, (await _ledger.GetAsync(c.UploadId, default))!.Status);
    }
}
