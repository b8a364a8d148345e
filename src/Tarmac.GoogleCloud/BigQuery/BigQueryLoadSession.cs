using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// One batch loaded into BigQuery: rows are staged per upload while they are validated, and the commit runs one load job
/// per table over the staged objects, then records each outcome. A job's id is derived from the batch's raw objects, and
/// it is recorded in the ledger before it runs, so a redelivery adopts the job instead of loading twice.
/// </summary>
internal sealed partial class BigQueryLoadSession(BigQueryWarehouseLoader owner, IReadOnlyDictionary<string, UploadRecord> current, DateTimeOffset startedAt)
    : ILoadSession
{
    private readonly Dictionary<string, Staged> _staged = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, UploadRecord> Current { get; } = current;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public Task<ValidationResult?> TryLoadFastAsync(LoadRequest request, CancellationToken ct) => Task.FromResult<ValidationResult?>(null);

    /// <summary>Stages the rows under <c>loads/&lt;dataset&gt;/&lt;upload&gt;-&lt;generation&gt;.ndjson</c>, unless an earlier attempt already did.</summary>
    public async Task<IUploadRowWriter> OpenRowsAsync(LoadRequest request, CancellationToken ct)
    {
        var raw = await owner.Bucket.GetAsync(request.Upload.Object, ct) ?? throw new ObjectNotFoundException(request.Upload.Object);
        var staged = new Staged(request, raw.Generation, $"{BigQueryWarehouseLoader.LoadsPrefix}{request.Dataset.Name}/{request.Upload.UploadId}-{raw.Generation}.ndjson");
        _staged[request.Upload.UploadId] = staged;
        if (await owner.Bucket.GetAsync(staged.Name, ct) is not null) return new DiscardingWriter();
        return new StagedRowsWriter(owner.Bucket, staged.Name, request, raw.Generation, StartedAt, ct);
    }

    /// <summary>Nothing to undo: an upload whose outcome loads no row is left out of the load job.</summary>
    public Task DiscardRowsAsync(LoadRequest request, CancellationToken ct) => Task.CompletedTask;

    public async Task<IReadOnlyList<UploadRecord>> CommitAsync(IReadOnlyList<UploadRecord> outcomes, CancellationToken ct)
    {
        var results = new UploadRecord[outcomes.Count];
        var work = outcomes.Select((o, i) => (Outcome: o, Index: i, Staged: _staged[o.UploadId])).ToList();
        foreach (var group in work.GroupBy(w => w.Staged.Request.Dataset.Name, StringComparer.Ordinal))
            foreach (var chunk in group.Chunk(BigQueryWarehouseLoader.MaxUrisPerJob))
                await LoadGroupAsync(chunk, results, ct);
        return results;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task LoadGroupAsync(IReadOnlyList<(UploadRecord Outcome, int Index, Staged Staged)> group, UploadRecord[] results, CancellationToken ct)
    {
        var dataset = group[0].Staged.Request.Dataset;
        var key = BatchKey(group.Select(w => w.Staged));
        var toLoad = group.Where(w => w.Outcome.RowsLoaded > 0).ToList();
        string? jobId = null;
        if (toLoad.Count > 0)
        {
            var config = LoadConfiguration(dataset, toLoad.Select(w => $"gs://{owner.Bucket.Bucket}/{w.Staged.Name}"));
            for (var attempt = 0; ; attempt++)
            {
                if (attempt >= BigQueryWarehouseLoader.MaxJobAttempts)
                    throw new BigQueryException($"{BigQueryWarehouseLoader.MaxJobAttempts} load jobs of batch {key} failed; giving up.", null, "tooManyAttempts");
                jobId = $"tarmac_load_{dataset.Name}_{key}_{attempt}";
                // Recorded before the job runs: a redelivery that finds it adopts the job's outcome.
                await owner.Ledger.AppendAsync(group.Select(w => Event(w.Outcome, w.Staged, UploadStatus.Stored, jobId, StartedAt)).ToList(), ct);
                var (job, existed) = await owner.BigQuery.InsertJobAsync(jobId, config, ct);
                job = await owner.BigQuery.WaitForJobAsync(job, owner.JobPollStart, ct);
                if (BigQueryClient.ErrorOf(job) is not { } error) break;
                if (existed)
                {
                    LogSkippingFailedJob(owner.Logger, jobId, error.Message);
                    continue; // that attempt failed before: the counter advances to a fresh job
                }
                throw error.IsTransient ? new TransientFailureException(error.Message, error) : error;
            }
        }

        var completedAt = owner.Time.GetUtcNow();
        var events = group.Select(w => Event(w.Outcome, w.Staged, w.Outcome.Status, w.Outcome.RowsLoaded > 0 ? jobId : null, completedAt) with { StartedAt = StartedAt }).ToList();
        await owner.Ledger.AppendAsync(events, ct);
        foreach (var (w, e) in group.Zip(events))
            results[w.Index] = (e with { FirstAt = w.Outcome.ReceivedAt, Attempts = w.Outcome.Attempts }).ToRecord();
    }

    private JsonObject LoadConfiguration(DatasetSchema dataset, IEnumerable<string> uris)
    {
        var fields = new JsonArray();
        foreach (var c in dataset.Columns)
            fields.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type.BigQueryName(), ["mode"] = c.Required ? "REQUIRED" : "NULLABLE" });
        fields.Add(new JsonObject { ["name"] = SystemColumns.UploadId, ["type"] = "STRING", ["mode"] = "REQUIRED" });
        fields.Add(new JsonObject { ["name"] = SystemColumns.Line, ["type"] = "INTEGER", ["mode"] = "REQUIRED" });
        fields.Add(new JsonObject { ["name"] = SystemColumns.LoadedAt, ["type"] = "TIMESTAMP", ["mode"] = "REQUIRED" });
        return new JsonObject
        {
            ["load"] = new JsonObject
            {
                ["sourceUris"] = new JsonArray(uris.Select(u => (JsonNode)u).ToArray()),
                ["sourceFormat"] = "NEWLINE_DELIMITED_JSON",
                ["schema"] = new JsonObject { ["fields"] = fields },
                ["destinationTable"] = new JsonObject { ["projectId"] = owner.BigQuery.Project, ["datasetId"] = owner.BigQuery.Dataset, ["tableId"] = dataset.Name },
                ["writeDisposition"] = "WRITE_APPEND",
                ["createDisposition"] = "CREATE_NEVER",
                ["ignoreUnknownValues"] = false,
                ["maxBadRecords"] = 0,
            },
        };
    }

    /// <summary>First 32 hex digits of SHA-256 over the batch's raw objects (bucket, name, generation), sorted.</summary>
    private string BatchKey(IEnumerable<Staged> group)
    {
        var text = string.Join('\n', group.Select(s => $"{owner.Bucket.Bucket}/{s.Request.Upload.Object}#{s.Generation}").Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    /// <summary>
    /// The ledger event for an outcome. A planned event (status stored, with the job) must let a redelivery rebuild the
    /// outcome alone, so a file-level rejection travels as <c>error</c>: its reason is the outcome's one error on line 1.
    /// </summary>
    private static LedgerEvent Event(UploadRecord outcome, Staged staged, UploadStatus status, string? jobId, DateTimeOffset at) =>
        LedgerEvent.From(outcome, at, staged.Generation, jobId) with
        {
            Status = status,
            Error = outcome is { Status: UploadStatus.Rejected, RowsRejected: 0 } ? (outcome.Errors.Count > 0 ? outcome.Errors[0].Reason : null) : null,
        };

    private sealed record Staged(LoadRequest Request, long Generation, string Name);

    /// <summary>The rows were staged by an earlier attempt: this pass only counts and explains them.</summary>
    private sealed class DiscardingWriter : IUploadRowWriter
    {
        public void Append(ReadOnlySpan<FieldValue> row, long line) { }
        public Task CompleteAsync(CancellationToken ct) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Load job {job_id} had failed before ({reason}); trying the next job id")]
    private static partial void LogSkippingFailedJob(ILogger logger, string job_id, string reason);
}
