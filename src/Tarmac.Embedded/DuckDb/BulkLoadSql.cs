using System.Globalization;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

/// <summary>
/// The statements of one bulk load. A value is accepted only if its text is the canonical spelling of its value (e.g.
/// <c>517</c> or <c>517.0</c> for 517, never <c>517.5</c>, <c>1_000</c> or <c>+5</c>): for such text the C# parser yields
/// the same value, so the fast path can never accept what the C# path rejects or load a different value. INTEGER, FLOAT,
/// DATE and TIMESTAMP spellings were checked by the rewriter (<see cref="CanonicalNumbers"/>, <see cref="CanonicalTimes"/>),
/// which wrote the lines where they are all canonical to their own files: <see cref="Insert"/> reads those files with those
/// columns typed (DuckDB's reader parses them as TRY_CAST does), and checks the other types here, on the text.
/// <see cref="Suspects"/> reads every rewritten file with every field as VARCHAR and returns the lines <see cref="Insert"/>
/// did not accept: the complement, since on a canonical line the typed and the text checks agree (an empty field is NULL
/// either way).
/// </summary>
internal sealed class BulkLoadSql
{
    // Every read_csv option that changes how bytes become records is spelled out (no sniffing, no comment lines, one
    // delimiter: the dataset's), so the outcome never depends on DuckDB's defaults or on the file's size. A rewritten line is its line
    // number, its flag, two delimiters and a record of at most CsvRecordReader.DefaultMaxRecordBytes: a little headroom covers the prefix.
    private const int MaxLineSize = CsvRecordReader.DefaultMaxRecordBytes + 64;

    // The reader holds a buffer of this size per file it reads at once, inside the buffer pool. Its default (32 MB) made
    // the parts of one file, read on two threads, run out of a 128 MB pool; at 4 MiB a 1 GB upload loads as fast and
    // needs a quarter of that pool (docs/operations.md, Memory). A buffer must hold a whole line: it is a few maximal ones.
    private const int BufferSize = 4 * MaxLineSize;

    private readonly string _dataset;
    private readonly string _delimiter;
    private readonly string _names;
    private readonly string _values;
    private readonly string _fieldList;
    private readonly string _textColumns, _textCasts, _textChecks;
    private readonly string _typedColumns, _typedCasts, _typedChecks;

    public BulkLoadSql(DatasetSchema dataset, CsvHeader header)
    {
        var fileColumns = header.FileColumns;
        var text = new Statement("_c = 1");
        var typed = new Statement(null);
        var fieldList = new StringBuilder();
        var values = new string[dataset.Columns.Count];
        Array.Fill(values, "NULL");
        for (var i = 0; i < fileColumns.Count; i++)
        {
            var column = fileColumns[i]!;
            var f = "f" + i.ToString(CultureInfo.InvariantCulture);
            var v = "v" + i.ToString(CultureInfo.InvariantCulture);
            fieldList.Append(", ").Append(f);
            var (cast, canonical) = column.Type switch
            {
                ColumnType.String => (f, (string?)null),
                // Canonical spellings only (CanonicalNumbers): the rewriter's flag says so; a NULL is decided below. Dates and
                // timestamps are checked on the text too: the suspects file's lines were not (CanonicalTimes is stricter).
                ColumnType.Integer => ($"TRY_CAST({f} AS BIGINT)", (string?)null),
                ColumnType.Float => ($"TRY_CAST({f} AS DOUBLE)", (string?)null),
                ColumnType.Numeric => ($"TRY_CAST({f} AS DECIMAL(38,9))", $"regexp_full_match({f}, '-?[0-9]{{1,29}}(\\.[0-9]{{1,9}})?')"),
                ColumnType.Boolean => ($"lower({f}) IN ('true', 't', 'yes', 'y', '1')", $"lower({f}) IN ('true', 't', 'yes', 'y', '1', 'false', 'f', 'no', 'n', '0')"),
                ColumnType.Date => ($"TRY_CAST({f} AS DATE)", $"(year({v}) >= 1 AND strftime({v}, '%Y-%m-%d') = {f})"),
                ColumnType.Timestamp => ($"TRY_CAST({f} AS TIMESTAMP)", $"(year({v}) >= 1 AND strftime({v}, '%Y-%m-%d %H:%M:%S') = {f})"),
                _ => throw new ArgumentOutOfRangeException(nameof(dataset)),
            };
            values[column.Ordinal] = v;
            text.Add(f, "VARCHAR", cast, v, canonical, column.Required);
            if (TypedRead(column.Type) is { } type) typed.Add(f, type, f, v, null, column.Required);
            else typed.Add(f, "VARCHAR", cast, v, canonical, column.Required);
        }
        _dataset = DuckDbSql.QuoteIdentifier(dataset.Name);
        _delimiter = dataset.Options.Delimiter.Replace("'", "''", StringComparison.Ordinal);
        _names = string.Join(", ", dataset.Columns.Select(col => DuckDbSql.QuoteIdentifier(col.Name)).Concat(SystemColumns.All));
        _values = string.Join(", ", values);
        _fieldList = fieldList.ToString();
        (_textColumns, _textCasts, _textChecks) = text.Build();
        (_typedColumns, _typedCasts, _typedChecks) = typed.Build();
    }

    /// <summary>The reader's type for a column whose canonical spellings the rewriter checked, or null (read as text).</summary>
    private static string? TypedRead(ColumnType type) => type switch
    {
        ColumnType.Integer => "BIGINT",
        ColumnType.Float => "DOUBLE",
        ColumnType.Date => "DATE",
        ColumnType.Timestamp => "TIMESTAMP",
        _ => null,
    };

    /// <summary>Loads the lines of <paramref name="canonicalFiles"/> that pass every check (parameters <c>$id</c>, <c>$at</c>).</summary>
    public string Insert(IReadOnlyList<string> canonicalFiles) =>
        $"INSERT INTO {_dataset} ({_names}) SELECT {_values}, $id, _l, $at FROM {Read(canonicalFiles, _typedColumns, _typedCasts)} WHERE {_typedChecks}";

    /// <summary>The lines of <paramref name="files"/> that <see cref="Insert"/> does not load, in line order, every field as text.</summary>
    public string Suspects(IReadOnlyList<string> files) =>
        $"SELECT _l{_fieldList} FROM {Read(files, _textColumns, _textCasts)} WHERE NOT ({_textChecks}) ORDER BY _l";

    /// <summary>The line number, the flag, the fields and the values of <paramref name="files"/>, read as <paramref name="columns"/> says.</summary>
    private string Read(IReadOnlyList<string> files, string columns, string casts)
    {
        var paths = string.Join(", ", files.Select(p => $"'{p.Replace("'", "''", StringComparison.Ordinal)}'"));
        var source = $"read_csv([{paths}], header = false, auto_detect = false, delim = '{_delimiter}', quote = '\"', escape = '\"', " +
                     $"new_line = '\\n', comment = '', skip = 0, encoding = 'utf-8', strict_mode = true, null_padding = false, ignore_errors = false, " +
                     $"max_line_size = {MaxLineSize}, buffer_size = {BufferSize}, columns = {columns})";
        return $"(SELECT _l, _c{_fieldList}{casts} FROM {source})";
    }

    /// <summary>How one statement reads the file's fields: the column types given to the reader, the casts, the checks.</summary>
    private sealed class Statement
    {
        private readonly StringBuilder _columns = new("{'_l': 'BIGINT', '_c': 'UTINYINT'");
        private readonly StringBuilder _casts = new();
        private readonly List<string> _checks = [];

        public Statement(string? lineCheck)
        {
            if (lineCheck is not null) _checks.Add(lineCheck);
        }

        public void Add(string field, string readAs, string cast, string value, string? canonical, bool required)
        {
            _columns.Append($", '{field}': '{readAs}'");
            _casts.Append($", {cast} AS {value}");
            if (canonical is not null) _checks.Add(required ? $"coalesce({canonical}, false)" : $"({field} IS NULL OR coalesce({canonical}, false))");
            else if (required) _checks.Add($"{field} IS NOT NULL");
        }

        public (string Columns, string Casts, string Checks) Build() =>
            (_columns + "}", _casts.ToString(), _checks.Count == 0 ? "true" : string.Join(" AND ", _checks));
    }
}
