using Tarmac.Core.Datasets;
using Tarmac.Core.Query;

namespace Tarmac.Core.Ports;

/// <summary>
/// Answers the query function. Queries arrive as dialect-neutral trees (<see cref="RowsQuery"/>, <see cref="StatsQuery"/>),
/// already checked against the schema; an adapter renders them in its own SQL dialect (values as named parameters only).
/// Rows come ordered by the sort keys (NULLs last) then <c>_upload_id, _line</c>, only those with <c>_loaded_at</c> at or
/// before the query's snapshot, after <see cref="RowsQuery.After"/>. Cancelling <c>ct</c> (the query time limit, or the
/// client going away) must stop the running query in the warehouse, and the call then throws <see cref="OperationCanceledException"/>.
/// </summary>
public interface IWarehouseReader
{
    /// <summary>The dataset's data version and the time of its latest load (for ETag, Last-Modified and paging snapshots).</summary>
    Task<DatasetVersion> GetVersionAsync(DatasetSchema dataset, CancellationToken ct);

    /// <summary>
    /// A page small enough to hold (<see cref="RowsPage.MaxRows"/> at most): its rows, columns <see cref="RowsQuery.Fields"/> in
    /// order, and where the next page starts, read together.
    /// </summary>
    Task<RowsPage> ReadPageAsync(RowsQuery query, CancellationToken ct);

    /// <summary>
    /// Streams a page of any size (exports) to <paramref name="writer"/>. When rows follow it, <paramref name="onNextPage"/> is
    /// called with the position of its last row before the first row is written, so the response can link the next page.
    /// </summary>
    Task ExportRowsAsync(RowsQuery query, Action<KeysetPosition> onNextPage, IRowWriter writer, CancellationToken ct);

    /// <summary>How many rows match the query's filters within its snapshot (fields, sort, cursor and limit are ignored).</summary>
    Task<long> CountAsync(RowsQuery query, CancellationToken ct);

    /// <summary>Streams the groups of an aggregate query: group-by columns, then one column per metric (its output key).</summary>
    Task QueryStatsAsync(StatsQuery query, IRowWriter writer, CancellationToken ct);

    /// <summary>True when the warehouse answers a trivial query (readiness).</summary>
    Task<bool> PingAsync(CancellationToken ct);
}
