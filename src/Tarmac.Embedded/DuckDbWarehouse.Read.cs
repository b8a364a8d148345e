using System.Text;
using Tarmac.Core.Datasets;

namespace Tarmac.Embedded;

public sealed partial class DuckDbWarehouse
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> ReadFirstRowsAsync(DatasetSchema dataset, int limit, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT ");
        sql.AppendJoin(", ", dataset.Columns.Select(col => DuckDbTypes.Quote(col.Name)));
        sql.Append($" FROM {DuckDbTypes.Quote(dataset.Name)} ORDER BY _upload_id, _line LIMIT $n");
        await using var c = Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql.ToString();
        cmd.Parameters.Add(P("n", limit));
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var row = new Dictionary<string, object?>(dataset.Columns.Count, StringComparer.Ordinal);
            for (var i = 0; i < dataset.Columns.Count; i++)
                row[dataset.Columns[i].Name] = r.IsDBNull(i) ? null : ToClr(dataset.Columns[i].Type, r.GetValue(i));
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Normalises a DuckDB value to the CLR type the JSON writer expects for the column type.</summary>
    internal static object ToClr(ColumnType type, object value) => type switch
    {
        ColumnType.Timestamp when value is DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        ColumnType.Date when value is DateTime d => DateOnly.FromDateTime(d),
        _ => value,
    };
}
