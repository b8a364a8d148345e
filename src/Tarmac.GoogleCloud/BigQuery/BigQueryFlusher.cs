using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.State;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>What a flush of one dataset did.</summary>
/// <param name="Dataset">The dataset.</param>
/// <param name="Ran">False when another instance holds the flush, or (unforced) the last flush was too recent.</param>
/// <param name="Settled">Uploads that reached their final status.</param>
/// <param name="JobIds">The load jobs that appended their rows.</param>
public sealed record FlushResult(string Dataset, bool Ran, IReadOnlyList<UploadRecord> Settled, IReadOnlyList<string> JobIds);

/// <summary>
/// Appends every upload staged for a dataset with one load job, then gives each its final status. Exactly once comes from
/// the job id: it is derived from the manifest, which is recorded in the dataset's flush lease before the job is inserted,
/// so a flush that died is resumed with the same id, and BigQuery refuses a second job of that id with 409
/// (https://cloud.google.com/bigquery/docs/running-jobs#generate-jobid). Load jobs are atomic: a job that ends with
/// <c>status.errorResult</c> appended nothing (https://cloud.google.com/bigquery/docs/batch-loading-data).
/// </summary>
public sealed partial class BigQueryFlusher(
    BigQueryClient bigQuery, GcsUploadLedger ledger, GcsStateObjects state, PendingLoads pending, TimeProvider time, ILogger<BigQueryFlusher> logger)
{
    /// <summary>Prefix of the flush leases.</summary>
    public const string LeasePrefix = "state/flush/";

    /// <summary>A load job takes at most 10,000 source URIs (https://cloud.google.com/bigquery/quotas#load_jobs).</summary>
    public const int MaxUrisPerJob = 10_000;

    /// <summary>How many failed jobs of one manifest are skipped over before its uploads are tried one by one.</summary>
    public const int MaxJobAttempts = 3;

    /// <summary>First pause while a job runs; doubles up to 5 s.</summary>
    public TimeSpan JobPollStart { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a flush may hold its lease before another instance may take over (and resume its manifest): longer than a
    /// load job takes, short enough that a killed instance delays the next flush little.
    /// </summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Least time between two unforced flushes of a dataset (the in-process timer's); scheduled flushes are forced.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Flushes <paramref name="dataset"/>; when not <paramref name="force"/>d, not sooner than <see cref="MinInterval"/> after the last.</summary>
    /// <exception cref="TransientFailureException">BigQuery or Cloud Storage failed for a reason that may pass; the next flush resumes.</exception>
    public async Task<FlushResult> FlushAsync(DatasetSchema dataset, bool force, CancellationToken ct)
    {
        var name = $"{LeasePrefix}{dataset.Name}.json";
        var doc = await state.ReadAsync(name, ct);
        var lease = doc is null ? FlushLease.Free : FlushLease.FromJson(doc.Data);
        var now = time.GetUtcNow();
        if (lease.Holder is not null && lease.Until > now) return Skipped(dataset);
        if (!force && lease.Manifest is null && lease.LastFlushAt is { } last && now - last < MinInterval) return Skipped(dataset);

        lease = lease with { Holder = Guid.NewGuid().ToString("N"), Until = now + LeaseTime };
        if (await SaveAsync(name, lease, doc?.Generation ?? 0, ct) is not { } generation) return Skipped(dataset); // another instance took it first
        var held = new HeldLease(name, lease, generation);

        var settled = new List<UploadRecord>();
        var jobs = new List<string>();
        try
        {
            var manifest = held.Lease.Manifest ?? await PlanAsync(dataset, ct);
            if (manifest is not null)
            {
                if (held.Lease.Manifest is null) await RecordAsync(held, held.Lease with { Manifest = manifest }, ct);
                await LoadAsync(dataset, held, settled, jobs, ct);
            }
            await SaveAsync(name, held.Lease with { Holder = null, Until = DateTimeOffset.MinValue, Manifest = null, LastFlushAt = time.GetUtcNow() }, held.Generation, ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Let the next flush start at once; the manifest stays (as last recorded, with its attempt), so it resumes
            // this load with the same job id.
            try { await SaveAsync(name, held.Lease with { Holder = null, Until = DateTimeOffset.MinValue }, held.Generation, CancellationToken.None); }
            catch (TransientFailureException) { } // the lease then expires on its own
            throw;
        }
        return new FlushResult(dataset.Name, true, settled, jobs);
    }

    /// <summary>The lease this flush holds, as last written, and the generation that write got.</summary>
    private sealed class HeldLease(string name, FlushLease lease, long generation)
    {
        public string Name { get; } = name;
        public FlushLease Lease { get; set; } = lease;
        public long Generation { get; set; } = generation;
    }

    private static FlushResult Skipped(DatasetSchema dataset) => new(dataset.Name, false, [], []);

    /// <summary>A manifest of what is staged for the dataset, or null when nothing is.</summary>
    private async Task<FlushManifest?> PlanAsync(DatasetSchema dataset, CancellationToken ct)
    {
        var ids = await pending.ListAsync(dataset.Name, MaxUrisPerJob, ct);
        var states = await ledger.GetStatesAsync(ids, ct);
        var entries = new List<ManifestEntry>();
        foreach (var id in ids)
        {
            if (!states.TryGetValue(id, out var s)) continue;
            if (s.Upload.Status.IsFinal()) await pending.ClearAsync(dataset.Name, id, ct); // settled by an earlier flush
            else if (s.Staged is { } staged) entries.Add(new ManifestEntry(id, staged.Object));
            // else: marked but its state write never happened; the sweep drives it again.
        }
        return entries.Count == 0 ? null : FlushManifest.Of(entries);
    }

    private async Task LoadAsync(DatasetSchema dataset, HeldLease held, List<UploadRecord> settled, List<string> jobs, CancellationToken ct)
    {
        var manifest = held.Lease.Manifest!;
        while (true)
        {
            var jobId = manifest.JobId(dataset.Name);
            var (job, existed) = await bigQuery.InsertJobAsync(jobId, LoadConfiguration(dataset, manifest), ct);
            job = await bigQuery.WaitForJobAsync(job, JobPollStart, ct);
            if (BigQueryClient.ErrorOf(job) is not { } error)
            {
                jobs.Add(jobId);
                settled.AddRange(await SettleAsync(dataset, manifest.Entries, jobId, ct));
                return;
            }
            LogJobFailed(logger, LoadJobFailedEvent, dataset.Name, jobId, error.Reason ?? "unknown", existed, error.Message);
            if (error.IsTransient && !existed) throw new TransientFailureException(error.Message, error);
            if (manifest.Attempt + 1 < MaxJobAttempts)
            {
                manifest = manifest with { Attempt = manifest.Attempt + 1 }; // that job failed: the next id is a fresh job
                await RecordAsync(held, held.Lease with { Manifest = manifest }, ct);
                continue;
            }
            // The same manifest keeps failing: one of its uploads is at fault. Each one alone finds it.
            if (manifest.Entries.Count > 1)
            {
                foreach (var entry in manifest.Entries)
                {
                    await RecordAsync(held, held.Lease with { Manifest = FlushManifest.Of([entry]) }, ct);
                    await LoadAsync(dataset, held, settled, jobs, ct);
                }
                return;
            }
            var entryId = manifest.Entries[0].UploadId;
            await ledger.MarkFailedAsync(entryId, $"Load job {jobId} failed: {error.Message}", ct);
            await pending.ClearAsync(dataset.Name, entryId, ct);
            if (await ledger.GetAsync(entryId, ct) is { } failed) settled.Add(failed);
            return;
        }
    }

    private async Task<List<UploadRecord>> SettleAsync(DatasetSchema dataset, IReadOnlyList<ManifestEntry> entries, string jobId, CancellationToken ct)
    {
        var settled = new List<UploadRecord>();
        var at = time.GetUtcNow();
        foreach (var entry in entries)
        {
            var now = await ledger.UpdateAsync(entry.UploadId, s => s is { Upload.Status: UploadStatus.Stored, Staged: { } st }
                ? new UploadState(s.Upload with
                {
                    Status = st.Outcome, RowsLoaded = st.RowsLoaded, RowsRejected = st.RowsRejected, Errors = st.Errors, Error = null, CompletedAt = at,
                }, null)
                : null, ct, jobId);
            if (now is { Upload.Status: var status } && status.IsFinal())
            {
                await ledger.SettledAsync(now.Upload, ct);
                settled.Add(now.Upload);
            }
            await pending.ClearAsync(dataset.Name, entry.UploadId, ct);
        }
        return settled;
    }

    /// <summary>Writes the next state of the lease this flush holds; losing it to another instance ends the flush.</summary>
    private async Task RecordAsync(HeldLease held, FlushLease next, CancellationToken ct)
    {
        held.Generation = await SaveAsync(held.Name, next, held.Generation, ct)
            ?? throw new TransientFailureException($"Lost the flush lease {held.Name} to another instance.");
        held.Lease = next;
    }

    private Task<long?> SaveAsync(string name, FlushLease lease, long generation, CancellationToken ct) =>
        generation == 0 ? state.CreateAsync(name, lease.ToJson(), ct) : state.ReplaceAsync(name, lease.ToJson(), generation, ct);

    private JsonObject LoadConfiguration(DatasetSchema dataset, FlushManifest manifest)
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
                ["sourceUris"] = new JsonArray(manifest.Entries.Select(e => (JsonNode)$"gs://{state.Bucket}/{e.Object}").ToArray()),
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

    /// <summary>The <c>event</c> of a failed load job's log line; the load_job_failed log-based metric counts it.</summary>
    public const string LoadJobFailedEvent = "load_job_failed";

    [LoggerMessage(Level = LogLevel.Warning, Message = "{event}: load job {job_id} of {dataset} failed ({error_reason}; existed before: {existed}): {reason}")]
    private static partial void LogJobFailed(ILogger logger, string @event, string dataset, string job_id, string error_reason, bool existed, string reason);
}
