using Microsoft.Extensions.Logging;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.State;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// Loads into BigQuery in two steps, so that a push is answered within seconds and loads stay far under the 1,500 load
/// jobs per table per day (https://cloud.google.com/bigquery/quotas#load_jobs). A load session validates and stages each
/// upload's rows as NDJSON under <c>staging/</c> and records the outcome they will have; <see cref="BigQueryFlusher"/>
/// later appends everything staged for a table with one load job.
/// </summary>
public sealed class BigQueryWarehouseLoader(GcsUploadLedger ledger, GcsStateObjects state, IObjectStore bucket, PendingLoads pending, TimeProvider time)
    : IWarehouseLoader
{
    /// <summary>Prefix of the staged NDJSON objects (deleted by a bucket lifecycle rule after 7 days).</summary>
    public const string StagingPrefix = "staging/";

    internal GcsUploadLedger Ledger => ledger;

    internal GcsStateObjects State => state;

    internal IObjectStore Bucket => bucket;

    internal PendingLoads Pending => pending;

    internal TimeProvider Time => time;

    /// <inheritdoc />
    /// <remarks>
    /// An upload whose rows are already staged is left out of <see cref="ILoadSession.Current"/>: a redelivery then
    /// changes nothing, and its load is the flush's work.
    /// </remarks>
    public async Task<ILoadSession> BeginAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        var states = await ledger.GetStatesAsync(batch.Select(r => r.Upload.UploadId), ct);
        var current = states.Where(kv => kv.Value.Staged is null).ToDictionary(kv => kv.Key, kv => kv.Value.Upload, StringComparer.Ordinal);
        return new BigQueryLoadSession(this, current, time.GetUtcNow());
    }
}
