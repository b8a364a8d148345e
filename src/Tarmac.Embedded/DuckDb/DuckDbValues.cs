using System.Data.Common;
using Tarmac.Core.Datasets;
using Tarmac.Core.Query;

namespace Tarmac.Embedded;

/// <summary>How query values cross between DuckDB and the query model.</summary>
internal static class DuckDbValues
{
    /// <summary>A parameter value as DuckDB binds it.</summary>
    public static object ToParameter(object value) => value switch
    {
        DateTimeOffset t => t.UtcDateTime, // a TIMESTAMP, not a TIMESTAMPTZ compared in the session's time zone
        _ => value,
    };

    /// <summary>Column <paramref name="i"/> as the CLR value of its schema type, or null.</summary>
    public static object? Read(ColumnType type, DbDataReader r, int i) => r.IsDBNull(i) ? null : type switch
    {
        ColumnType.Integer => r.GetInt64(i),
        ColumnType.Float => r.GetDouble(i),
        ColumnType.Numeric => r.GetDecimal(i),
        ColumnType.Boolean => r.GetBoolean(i),
        ColumnType.String => r.GetString(i),
        ColumnType.Date => r.GetFieldValue<DateOnly>(i),
        ColumnType.Timestamp => new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc)),
        _ => throw new InvalidOperationException($"Unknown column type {type}."),
    };

    /// <summary>The keyset position in columns from <paramref name="first"/>: the sort keys, then <c>_upload_id</c>, <c>_line</c>.</summary>
    public static KeysetPosition ReadPosition(IReadOnlyList<SortKey> sort, DbDataReader r, int first)
    {
        var values = new object?[sort.Count];
        for (var k = 0; k < values.Length; k++) values[k] = Read(sort[k].Column.Type, r, first + k);
        return new KeysetPosition(values, r.GetString(first + values.Length), r.GetInt64(first + values.Length + 1));
    }

    /// <summary>The current row of a DuckDB reader, read with typed getters.</summary>
    public sealed class ReaderRow(DbDataReader r) : IResultRow
    {
        public bool IsNull(int ordinal) => r.IsDBNull(ordinal);
        public long GetInt64(int ordinal) => r.GetInt64(ordinal);
        public double GetDouble(int ordinal) => r.GetDouble(ordinal);
        public decimal GetDecimal(int ordinal) => r.GetDecimal(ordinal);
        public bool GetBoolean(int ordinal) => r.GetBoolean(ordinal);
        public string GetString(int ordinal) => r.GetString(ordinal);
        public DateOnly GetDate(int ordinal) => r.GetFieldValue<DateOnly>(ordinal);
        public DateTimeOffset GetTimestamp(int ordinal) => new(DateTime.SpecifyKind(r.GetDateTime(ordinal), DateTimeKind.Utc));
    }
}
