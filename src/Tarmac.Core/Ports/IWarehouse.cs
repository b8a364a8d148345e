using Tarmac.Core.Datasets;
using Tarmac.Core.Query;
using Tarmac.Core.Uploads;

namespace Tarmac.Core.Ports;

/// <summary>
/// Loads validated rows into the dataset tables. An upload's rows and its ledger status change
/// together: a load either lands completely with its outcome recorded, or not at all.
/// </summary>
public interface IWarehouseLoader
{
    /// <summary>
    /// Validates and loads a batch of uploads (all in status stored) as one unit of work. Uploads whose
    /// status is no longer stored (a duplicate delivery) are skipped and reported with their current record.
    /// </summary>
    /// <returns>The updated record of each upload, in request order.</returns>
    Task<IReadOnlyList<UploadRecord>> LoadAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct);
}

/// <summary>One upload to load: its ledger record, its dataset, and how to read its bytes.</summary>
public sealed record LoadRequest(UploadRecord Upload, DatasetSchema Dataset, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>
/// Answers the query function. Queries arrive as dialect-neutral trees (<see cref="RowsQuery"/>, <see cref="StatsQuery"/>),
/// already checked against the schema; an adapter renders them with its dialect's renderer (values as named parameters only).
/// Cancelling <c>ct</c> (the query time limit, or the client going away) must stop the running query in the warehouse,
/// and the call then throws <see cref="OperationCanceledException"/>.
/// </summary>
public interface IWarehouseReader
{
    /// <summary>The dataset's data version and the time of its latest load (for ETag, Last-Modified and paging snapshots).</summary>
    Task<DatasetVersion> GetVersionAsync(DatasetSchema dataset, CancellationToken ct);

    /// <summary>
    /// Streams the page <paramref name="query"/> selects to <paramref name="writer"/>: columns <see cref="RowsQuery.Fields"/>
    /// in order, rows ordered by the sort keys (NULLs last) then <c>_upload_id, _line</c>, only rows with
    /// <c>_loaded_at</c> at or before the snapshot, after <see cref="RowsQuery.After"/>, at most <see cref="RowsQuery.Limit"/>.
    /// </summary>
    Task QueryRowsAsync(RowsQuery query, IRowWriter writer, CancellationToken ct);

    /// <summary>
    /// When rows follow the page <paramref name="query"/> selects, the keyset position of the page's last row (the next page
    /// starts after it); null when this page is the last. Lets the Link header go out before the page is streamed.
    /// </summary>
    Task<KeysetPosition?> FindPageEndAsync(RowsQuery query, CancellationToken ct);

    /// <summary>How many rows match the query's filters within its snapshot (fields, sort, cursor and limit are ignored).</summary>
    Task<long> CountAsync(RowsQuery query, CancellationToken ct);

    /// <summary>Streams the groups of an aggregate query: group-by columns, then one column per metric (its output key).</summary>
    Task QueryStatsAsync(StatsQuery query, IRowWriter writer, CancellationToken ct);

    /// <summary>True when the warehouse answers a trivial query (readiness).</summary>
    Task<bool> PingAsync(CancellationToken ct);
}
