using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

/// <summary>Writes accepted rows straight into DuckDB's appender for the dataset's table, with the system columns.</summary>
internal sealed class AppenderRowWriter(DuckDBAppender appender, DatasetSchema dataset, string uploadId, DateTime loadedAt) : IUploadRowWriter
{
    public void Append(ReadOnlySpan<FieldValue> row, long line)
    {
        var r = appender.CreateRow();
        var columns = dataset.Columns;
        for (var i = 0; i < columns.Count; i++)
        {
            ref readonly var v = ref row[i];
            if (v.IsNull) { r.AppendNullValue(); continue; }
            switch (columns[i].Type)
            {
                case ColumnType.Integer: r.AppendValue((long?)v.Int64); break;
                case ColumnType.Float: r.AppendValue((double?)v.Double); break;
                case ColumnType.Numeric: r.AppendValue((decimal?)v.Decimal); break;
                case ColumnType.Boolean: r.AppendValue((bool?)v.Boolean); break;
                case ColumnType.String: r.AppendValue(v.String); break;
                case ColumnType.Date: r.AppendValue((DateOnly?)DateOnly.FromDateTime(v.DateTime)); break;
                case ColumnType.Timestamp: r.AppendValue((DateTime?)v.DateTime); break;
            }
        }
        r.AppendValue(uploadId).AppendValue((long?)line).AppendValue((DateTime?)loadedAt).EndRow();
    }

    // The appender is the session's, shared by the batch's uploads of this dataset; it flushes when the session commits.
    public Task CompleteAsync(CancellationToken ct) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
