using System.Globalization;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

/// <summary>
/// The statements of one bulk load. The rewritten file is read with every field as VARCHAR; each value is cast
/// with TRY_CAST and accepted only if its text is the canonical spelling of the cast value (e.g. <c>517</c> or
/// <c>517.0</c> for 517, never <c>517.5</c>, <c>1_000</c> or <c>+5</c>): for such text the C# parser yields the
/// same value, so the fast path can never accept what the C# path rejects or load a different value. INTEGER and
/// FLOAT spellings were checked by the rewriter (the line's <c>_c</c> flag, <see cref="CanonicalNumbers"/>); the
/// other types are checked here.
/// </summary>
internal sealed class BulkLoadSql
{
    // Every read_csv option that changes how bytes become records is spelled out (no sniffing, no comment lines, one
    // delimiter: the dataset's), so the outcome never depends on DuckDB's defaults or on the file's size. A rewritten line is its line
    // number, its flag, two delimiters and a record of at most CsvRecordReader.DefaultMaxRecordBytes: a little headroom covers the prefix.
    private const int MaxLineSize = CsvRecordReader.DefaultMaxRecordBytes + 64;

    public BulkLoadSql(DatasetSchema dataset, CsvHeader header, string path)
    {
        var fileColumns = header.FileColumns;
        var columnsSpec = new StringBuilder("{'_l': 'BIGINT', '_c': 'UTINYINT'");
        var casts = new StringBuilder();
        var fieldList = new StringBuilder();
        var checks = new List<string> { "_c = 1" };
        var values = new string[dataset.Columns.Count];
        Array.Fill(values, "NULL");
        for (var i = 0; i < fileColumns.Count; i++)
        {
            var column = fileColumns[i]!;
            var f = "f" + i.ToString(CultureInfo.InvariantCulture);
            var v = "v" + i.ToString(CultureInfo.InvariantCulture);
            columnsSpec.Append($", '{f}': 'VARCHAR'");
            fieldList.Append(", ").Append(f);
            var (cast, canonical) = column.Type switch
            {
                ColumnType.String => (f, (string?)null),
                // Canonical spellings only (CanonicalNumbers): the rewriter's flag says so; a NULL is decided below.
                ColumnType.Integer => ($"TRY_CAST({f} AS BIGINT)", (string?)null),
                ColumnType.Float => ($"TRY_CAST({f} AS DOUBLE)", (string?)null),
                ColumnType.Numeric => ($"TRY_CAST({f} AS DECIMAL(38,9))", $"regexp_full_match({f}, '-?[0-9]{{1,29}}(\\.[0-9]{{1,9}})?')"),
                ColumnType.Boolean => ($"lower({f}) IN ('true', 't', 'yes', 'y', '1')", $"lower({f}) IN ('true', 't', 'yes', 'y', '1', 'false', 'f', 'no', 'n', '0')"),
                ColumnType.Date => ($"TRY_CAST({f} AS DATE)", $"(year({v}) >= 1 AND strftime({v}, '%Y-%m-%d') = {f})"),
                ColumnType.Timestamp => ($"TRY_CAST({f} AS TIMESTAMP)", $"(year({v}) >= 1 AND strftime({v}, '%Y-%m-%d %H:%M:%S') = {f})"),
                _ => throw new ArgumentOutOfRangeException(nameof(dataset)),
            };
            casts.Append($", {cast} AS {v}");
            values[column.Ordinal] = v;
            if (canonical is not null) checks.Add(column.Required ? $"coalesce({canonical}, false)" : $"({f} IS NULL OR coalesce({canonical}, false))");
            else if (column.Required) checks.Add($"{f} IS NOT NULL");
        }
        columnsSpec.Append('}');
        var delim = dataset.Options.Delimiter.Replace("'", "''", StringComparison.Ordinal);
        var source = $"read_csv('{path.Replace("'", "''", StringComparison.Ordinal)}', header = false, auto_detect = false, delim = '{delim}', quote = '\"', escape = '\"', " +
                     $"new_line = '\\n', comment = '', skip = 0, encoding = 'utf-8', strict_mode = true, null_padding = false, ignore_errors = false, " +
                     $"max_line_size = {MaxLineSize}, columns = {columnsSpec})";
        var typed = $"(SELECT _l, _c{fieldList}{casts} FROM {source})";
        var ok = string.Join(" AND ", checks);
        var names = string.Join(", ", dataset.Columns.Select(col => DuckDbSql.QuoteIdentifier(col.Name)).Concat(SystemColumns.All));
        Insert = $"INSERT INTO {DuckDbSql.QuoteIdentifier(dataset.Name)} ({names}) SELECT {string.Join(", ", values)}, $id, _l, $at FROM {typed} WHERE {ok}";
        Suspects = $"SELECT _l{fieldList} FROM {typed} WHERE NOT ({ok}) ORDER BY _l";
    }

    public string Insert { get; }
    public string Suspects { get; }
}
