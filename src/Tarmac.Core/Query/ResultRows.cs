namespace Tarmac.Core.Query;

/// <summary>
/// Receives a query's result as it is read, so a response can stream rows without holding them.
/// The warehouse calls <see cref="BeginAsync"/> once, when the query has produced its first row or finished
/// with none (all blocking work such as sorting or grouping is done by then), then <see cref="WriteRowAsync"/> per row.
/// </summary>
public interface IRowWriter
{
    /// <summary>The result's columns, before any row.</summary>
    ValueTask BeginAsync(IReadOnlyList<ResultColumn> columns, CancellationToken ct);

    /// <summary>One row; its values are valid only during the call.</summary>
    ValueTask WriteRowAsync(IResultRow row, CancellationToken ct);
}

/// <summary>
/// Typed access to the current row, by column ordinal; the getter to call follows the column's
/// <see cref="ResultColumn.Type"/>. No value is boxed.
/// </summary>
public interface IResultRow
{
    bool IsNull(int ordinal);
    long GetInt64(int ordinal);
    double GetDouble(int ordinal);
    decimal GetDecimal(int ordinal);
    bool GetBoolean(int ordinal);
    string GetString(int ordinal);
    DateOnly GetDate(int ordinal);

    /// <summary>A TIMESTAMP value, in UTC.</summary>
    DateTimeOffset GetTimestamp(int ordinal);
}

/// <summary>A dataset's data version: bumped by every load that adds rows, with the time of the latest such load.</summary>
/// <param name="Version">0 when nothing was ever loaded.</param>
/// <param name="LastLoadedAt">When the latest load committed; every loaded row has <c>_loaded_at</c> at or before it. Null when nothing was ever loaded.</param>
public sealed record DatasetVersion(long Version, DateTimeOffset? LastLoadedAt);
