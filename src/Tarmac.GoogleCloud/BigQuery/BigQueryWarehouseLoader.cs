using Microsoft.Extensions.Logging;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// Loads into BigQuery. Each upload's accepted rows are staged as NDJSON under <c>loads/</c>; a batch's staged objects go
/// into one load job per table, whose id is derived from the batch's raw objects, so a redelivered batch finds its job
/// (409) instead of loading twice. The ledger records the job before it runs (see <see cref="BigQueryLoadSession"/>).
/// </summary>
public sealed partial class BigQueryWarehouseLoader(
    BigQueryClient bigQuery, BigQueryUploadLedger ledger, IObjectStore bucket, TimeProvider time, ILogger<BigQueryWarehouseLoader> logger)
    : IWarehouseLoader
{
    /// <summary>Prefix of the staged NDJSON objects (deleted by a bucket lifecycle rule after 7 days).</summary>
    public const string LoadsPrefix = "loads/";

    /// <summary>A load job takes at most 10,000 source URIs.</summary>
    public const int MaxUrisPerJob = 10_000;

    /// <summary>How many failed jobs of one batch are skipped over before giving up.</summary>
    public const int MaxJobAttempts = 20;

    /// <summary>First pause while a job runs; doubles up to 5 s.</summary>
    public TimeSpan JobPollStart { get; init; } = TimeSpan.FromMilliseconds(500);

    internal BigQueryClient BigQuery => bigQuery;

    internal BigQueryUploadLedger Ledger => ledger;

    internal IObjectStore Bucket => bucket;

    internal TimeProvider Time => time;

    internal ILogger Logger => logger;

    /// <inheritdoc />
    /// <remarks>
    /// An upload whose latest event names a job planned for it was being loaded when its delivery broke off: if that job
    /// succeeded, its rows are in the table, and the planned outcome is recorded and reported as settled.
    /// </remarks>
    public async Task<ILoadSession> BeginAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        var latest = await ledger.GetLatestAsync(batch.Select(r => r.Upload.UploadId).Distinct(StringComparer.Ordinal).ToList(), ct);
        var current = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
        foreach (var (id, e) in latest)
            current[id] = e is { Status: UploadStatus.Stored, JobId: { } planned } && await AdoptAsync(e, planned, ct) is { } adopted ? adopted : e.ToRecord();
        return new BigQueryLoadSession(this, current, time.GetUtcNow());
    }

    private async Task<UploadRecord?> AdoptAsync(LedgerEvent planned, string jobId, CancellationToken ct)
    {
        var job = await bigQuery.GetJobAsync(jobId, ct);
        if (job is null) return null;
        job = await bigQuery.WaitForJobAsync(job, JobPollStart, ct);
        if (BigQueryClient.ErrorOf(job) is not null) return null;
        var outcome = planned with
        {
            Status = UploadStatuses.OutcomeOf(planned.RowsLoaded ?? 0, planned.RowsRejected ?? 0, planned.Error),
            Error = null,
            At = time.GetUtcNow(),
            StartedAt = planned.At,
        };
        await ledger.AppendAsync([outcome], ct);
        LogAdopted(logger, planned.UploadId, jobId);
        return (outcome with { Attempts = planned.Attempts + 1 }).ToRecord();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload {upload_id} was loaded by job {job_id} before a redelivery; adopting its outcome")]
    private static partial void LogAdopted(ILogger logger, string upload_id, string job_id);
}
