using Tarmac.Core.Datasets;

namespace Tarmac.Core.Query;

/// <summary>Output formats of the rows endpoints.</summary>
public enum RowFormat
{
    Json,
    Ndjson,
    Csv,
}

/// <summary>A parsed rows request: the query parts plus the parameters that shape the response.</summary>
/// <remarks><see cref="Normalized"/> is the canonical text of dataset, fields, filters and sort: what a cursor is bound to.</remarks>
public sealed record RowsRequest(
    IReadOnlyList<ColumnSchema> Fields,
    IReadOnlyList<Filter> Filters,
    IReadOnlyList<SortKey> Sort,
    int Limit,
    RowFormat Format,
    string? Cursor,
    bool Count,
    string Normalized)
{
    /// <summary>Everything that selects this response's bytes, for the ETag.</summary>
    public string Representation => $"{Normalized}&limit={Limit}&format={Format}&count={Count}&cursor={Cursor}";

    /// <summary>The query over a snapshot, starting after a position.</summary>
    public RowsQuery ToQuery(DatasetSchema dataset, KeysetPosition? after, DateTimeOffset? snapshot) =>
        new(dataset, Fields, Filters, Sort, Limit, after, snapshot);
}

/// <summary>A parsed stats request: the query it asks for, over whatever snapshot is current when it runs.</summary>
/// <remarks><see cref="Normalized"/> is the canonical text of the whole request, for the ETag.</remarks>
public sealed record StatsRequest(StatsQuery Query, string Normalized)
{
    /// <summary>The query over a snapshot.</summary>
    public StatsQuery ToQuery(DateTimeOffset? snapshot) => Query with { Snapshot = snapshot };
}
