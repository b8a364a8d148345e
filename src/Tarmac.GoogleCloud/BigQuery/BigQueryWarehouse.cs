using System.Globalization;
using System.IO.Pipelines;
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
/// Loads uploads into BigQuery and reads them back. Each upload's rows are validated by the same
/// <see cref="CsvValidator"/> as locally and staged as NDJSON under <c>loads/</c>; a batch's staged objects
/// go into one load job per table, whose id is derived from the batch's raw objects, so a redelivered batch
/// finds its job (409) instead of loading twice. The ledger records the job before it runs.
/// </summary>
public sealed partial class BigQueryWarehouse(
    BigQueryClient bigQuery, BigQueryUploadLedger ledger, IObjectStore bucket, TimeProvider time, ILogger<BigQueryWarehouse> logger)
    : IWarehouseLoader, IWarehouseReader
{
    /// <summary>Prefix of the staged NDJSON objects (deleted by a bucket lifecycle rule after 7 days).</summary>
    public const string LoadsPrefix = "loads/";

    /// <summary>A load job takes at most 10,000 source URIs.</summary>
    public const int MaxUrisPerJob = 10_000;

    /// <summary>How many failed jobs of one batch are skipped over before giving up.</summary>
    public const int MaxJobAttempts = 20;

    /// <summary>First pause while a job runs; doubles up to 5 s.</summary>
    public TimeSpan JobPollStart { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> LoadAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        var results = new UploadRecord[batch.Count];
        var latest = await ledger.GetLatestAsync(batch.Select(r => r.Upload.UploadId).Distinct().ToList(), ct);
        var work = new List<Staged>();
        for (var i = 0; i < batch.Count; i++)
        {
            var req = batch[i];
            var current = latest.GetValueOrDefault(req.Upload.UploadId);
            if (current is null || current.Status != UploadStatus.Stored || work.Any(w => w.Request.Upload.UploadId == req.Upload.UploadId))
            {
                results[i] = current?.ToRecord() ?? req.Upload; // a redelivery of something settled: no-op
                continue;
            }
            if (current.JobId is { } planned && await AdoptAsync(current, planned, ct) is { } adopted)
            {
                results[i] = adopted;
                continue;
            }
            work.Add(new Staged(i, req));
        }

        foreach (var group in work.GroupBy(w => w.Request.Dataset.Name))
            foreach (var chunk in group.Chunk(MaxUrisPerJob))
                await LoadGroupAsync(chunk, results, ct);
        return results;
    }

    private async Task LoadGroupAsync(IReadOnlyList<Staged> group, UploadRecord[] results, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow();
        foreach (var w in group) await StageAsync(w, startedAt, ct);

        var dataset = group[0].Request.Dataset;
        var key = BatchKey(group);
        var toLoad = group.Where(w => w.Result!.RowsAccepted > 0).ToList();
        string? jobId = null;
        if (toLoad.Count > 0)
        {
            var config = LoadConfiguration(dataset, toLoad.Select(w => $"gs://{bucket.Bucket}/{w.StagedName}"));
            for (var attempt = 0; ; attempt++)
            {
                if (attempt >= MaxJobAttempts)
                    throw new BigQueryException($"{MaxJobAttempts} load jobs of batch {key} failed; giving up.", null, "tooManyAttempts");
                jobId = $"tarmac_load_{dataset.Name}_{key}_{attempt}";
                // Recorded before the job runs: a redelivery that finds it adopts the job's outcome.
                await ledger.AppendAsync(group.Select(w => Event(w, UploadStatus.Stored, jobId, startedAt)).ToList(), ct);
                var (job, existed) = await bigQuery.InsertJobAsync(jobId, config, ct);
                job = await bigQuery.WaitForJobAsync(job, JobPollStart, ct);
                if (BigQueryClient.ErrorOf(job) is not { } error) break;
                if (existed)
                {
                    LogSkippingFailedJob(logger, jobId, error.Message);
                    continue; // that attempt failed before: the counter advances to a fresh job
                }
                throw error.IsTransient ? new TransientFailureException(error.Message, error) : error;
            }
        }

        var completedAt = time.GetUtcNow();
        var events = group.Select(w => Event(w, Outcome(w.Result!), toLoad.Contains(w) ? jobId : null, completedAt) with { StartedAt = startedAt }).ToList();
        await ledger.AppendAsync(events, ct);
        foreach (var (w, e) in group.Zip(events))
            results[w.Index] = (e with { FirstAt = w.Request.Upload.ReceivedAt, Attempts = w.Request.Upload.Attempts + 1 }).ToRecord();
    }

    /// <summary>
    /// The upload's latest event names a job that was planned for it. If that job succeeded its rows are
    /// in the table: record the planned outcome and return it. Otherwise load again (null).
    /// </summary>
    private async Task<UploadRecord?> AdoptAsync(LedgerEvent current, string jobId, CancellationToken ct)
    {
        var job = await bigQuery.GetJobAsync(jobId, ct);
        if (job is null) return null;
        job = await bigQuery.WaitForJobAsync(job, JobPollStart, ct);
        if (BigQueryClient.ErrorOf(job) is not null) return null;
        var outcome = current with
        {
            Status = Outcome(current.RowsLoaded ?? 0, current.RowsRejected ?? 0, current.Error),
            Error = null,
            At = time.GetUtcNow(),
            StartedAt = current.At,
        };
        await ledger.AppendAsync([outcome], ct);
        LogAdopted(logger, current.UploadId, jobId);
        return (outcome with { Attempts = current.Attempts + 1 }).ToRecord();
    }

    /// <summary>Validates the upload and streams its clean rows into <c>loads/…</c> (unless an earlier attempt already did).</summary>
    private async Task StageAsync(Staged w, DateTimeOffset loadedAt, CancellationToken ct)
    {
        var req = w.Request;
        var raw = await bucket.GetAsync(req.Upload.Object, ct) ?? throw new ObjectNotFoundException(req.Upload.Object);
        w.Generation = raw.Generation;
        w.StagedName = $"{LoadsPrefix}{req.Dataset.Name}/{req.Upload.UploadId}-{raw.Generation}.ndjson";

        var alreadyStaged = await bucket.GetAsync(w.StagedName, ct) is not null;
        if (alreadyStaged || req.Dataset.Options.AllOrNothing)
        {
            await using var probe = await req.OpenAsync(ct);
            w.Result = await Task.Run(() => CsvValidator.ValidateAsync(probe, req.Dataset, NullSink.Instance, ct), ct);
            if (req.Dataset.Options.AllOrNothing && (w.Result.RowsRejected > 0 || w.Result.FileError is not null)) w.Result.RowsAccepted = 0;
            if (alreadyStaged || w.Result.RowsAccepted == 0) return;
        }

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, useSynchronizationContext: false));
        var metadata = new Dictionary<string, string> { ["upload_id"] = req.Upload.UploadId, ["source_generation"] = raw.Generation.ToString(CultureInfo.InvariantCulture) };
        var upload = Task.Run(async () =>
        {
            try
            {
                await bucket.CreateAsync(w.StagedName, pipe.Reader.AsStream(leaveOpen: true), metadata, ct);
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another delivery staged the same rows first: theirs are as good as ours.
            }
            finally
            {
                await pipe.Reader.CompleteAsync();
            }
        }, ct);
        try
        {
            using var sink = new NdjsonRowSink(pipe.Writer, req.Dataset, req.Upload.UploadId, loadedAt);
            await using var csv = await req.OpenAsync(ct);
            w.Result = await Task.Run(() => CsvValidator.ValidateAsync(csv, req.Dataset, sink, ct), ct);
            await sink.CompleteAsync();
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e);
            try { await upload; } catch (Exception) when (!ct.IsCancellationRequested) { }
            throw;
        }
        await upload;
    }

    private JsonObject LoadConfiguration(DatasetSchema dataset, IEnumerable<string> uris)
    {
        var fields = new JsonArray();
        foreach (var c in dataset.Columns)
            fields.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type.BigQueryName(), ["mode"] = c.Required ? "REQUIRED" : "NULLABLE" });
        fields.Add(new JsonObject { ["name"] = "_upload_id", ["type"] = "STRING", ["mode"] = "REQUIRED" });
        fields.Add(new JsonObject { ["name"] = "_line", ["type"] = "INTEGER", ["mode"] = "REQUIRED" });
        fields.Add(new JsonObject { ["name"] = "_loaded_at", ["type"] = "TIMESTAMP", ["mode"] = "REQUIRED" });
        return new JsonObject
        {
            ["load"] = new JsonObject
            {
                ["sourceUris"] = new JsonArray(uris.Select(u => (JsonNode)u).ToArray()),
                ["sourceFormat"] = "NEWLINE_DELIMITED_JSON",
                ["schema"] = new JsonObject { ["fields"] = fields },
                ["destinationTable"] = new JsonObject { ["projectId"] = bigQuery.Project, ["datasetId"] = bigQuery.Dataset, ["tableId"] = dataset.Name },
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
        var text = string.Join('\n', group.Select(w => $"{bucket.Bucket}/{w.Request.Upload.Object}#{w.Generation}").Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    private static LedgerEvent Event(Staged w, UploadStatus status, string? jobId, DateTimeOffset at) => LedgerEvent.From(w.Request.Upload, at, w.Generation, jobId) with
    {
        Status = status,
        RowsLoaded = w.Result!.RowsAccepted,
        RowsRejected = w.Result.RowsRejected,
        Errors = w.Result.Errors,
        Error = w.Result.FileError,
    };

    private static UploadStatus Outcome(ValidationResult r) => Outcome(r.RowsAccepted, r.RowsRejected, r.FileError);

    private static UploadStatus Outcome(long accepted, long rejected, string? fileError) =>
        fileError is not null || (accepted == 0 && rejected > 0) ? UploadStatus.Rejected
        : rejected > 0 ? UploadStatus.PartiallyLoaded
        : UploadStatus.Loaded;

    private sealed class Staged(int index, LoadRequest request)
    {
        public int Index { get; } = index;
        public LoadRequest Request { get; } = request;
        public long Generation { get; set; }
        public string StagedName { get; set; } = "";
        public ValidationResult? Result { get; set; }
    }

    private sealed class NullSink : IRowSink
    {
        public static readonly NullSink Instance = new();
        public void Append(ReadOnlySpan<FieldValue> row, long line) { }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Load job {job_id} had failed before ({reason}); trying the next job id")]
    private static partial void LogSkippingFailedJob(ILogger logger, string job_id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload {upload_id} was loaded by job {job_id} before a redelivery; adopting its outcome")]
    private static partial void LogAdopted(ILogger logger, string upload_id, string job_id);
}
