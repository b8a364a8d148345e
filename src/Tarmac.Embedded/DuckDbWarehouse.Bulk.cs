using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

public sealed partial class DuckDbWarehouse
{
    /// <summary>Default of <see cref="BulkThresholdBytes"/>: 16 MiB.</summary>
    public const long DefaultBulkThresholdBytes = 16L << 20;

    private static readonly Meter LoadMeter = new("Tarmac");
    private static readonly Counter<long> LoadTransactionsCounter =
        LoadMeter.CreateCounter<long>("tarmac.load.transactions", description: "Load transactions committed (one per batch of uploads)");
    private static readonly Counter<long> BulkLoadsCounter =
        LoadMeter.CreateCounter<long>("tarmac.load.bulk", description: "Uploads loaded by DuckDB's CSV reader (the bulk path)");
    private long _loadTransactions;
    private long _bulkLoads;

    /// <summary>
    /// Uploads of at least this many bytes are loaded by DuckDB's own CSV reader when they are plain CSV (see
    /// <see cref="PlainCsvRewriter"/>); smaller ones, and files that are not plain, by the C# validator.
    /// 0 sends every plain file down the bulk path; <see cref="long.MaxValue"/> disables it.
    /// </summary>
    public long BulkThresholdBytes { get; set; } = DefaultBulkThresholdBytes;

    /// <summary>Load transactions committed since start: with micro-batching, far fewer than uploads loaded.</summary>
    public long LoadTransactions => Interlocked.Read(ref _loadTransactions);

    /// <summary>Uploads loaded by the bulk path since start.</summary>
    public long BulkLoads => Interlocked.Read(ref _bulkLoads);

    private void CountLoadTransaction()
    {
        Interlocked.Increment(ref _loadTransactions);
        LoadTransactionsCounter.Add(1);
    }

    /// <summary>
    /// Loads one upload with DuckDB's CSV reader inside the caller's transaction, or returns null when the file
    /// must take the C# path (not plain, or a header the C# path must explain). Gives the same outcome as the
    /// C# path: SQL accepts a row only when every value is in a canonical form that the C# parser reads to the
    /// same value; every other row is re-validated by <see cref="CsvValidator.ValidateRecord"/>, which supplies
    /// the rejected rows' errors and appends the rows it accepts.
    /// </summary>
    private async Task<ValidationResult?> TryBulkLoadAsync(DuckDBConnection c, Dictionary<string, DuckDBAppender> appenders, LoadRequest req, DateTime loadedAt, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_connectionString["Data Source=".Length..]))!, ".bulk");
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $"{req.Upload.UploadId}-{Guid.NewGuid():N}.csv");
        try
        {
            PlainCsvRewriter.Result? plain;
            await using (var s = await req.OpenAsync(ct))
                plain = await PlainCsvRewriter.TryRewriteAsync(s, temp, ct);
            if (plain is null) return null;
            var header = CsvHeader.TryCreate(req.Dataset, plain.HeaderNames, out _);
            if (header is null || header.FieldCount < 2) return null;

            var sql = new BulkSql(req.Dataset, header, temp);
            var result = new ValidationResult { RowsAccepted = await ExecuteAsync(c, sql.Insert, ct, P("id", req.Upload.UploadId), P("at", loadedAt)) };
            if (result.RowsAccepted < plain.Records)
            {
                var width = req.Dataset.Columns.Count;
                if (!req.Dataset.Options.AllOrNothing)
                {
                    result.RowsAccepted += await ForEachSuspectAsync(c, sql, header, width, result, SinkFor(c, appenders, req, loadedAt), ct);
                }
                else
                {
                    // All or nothing: count first, then either undo the SQL rows or append the C#-accepted ones.
                    await ForEachSuspectAsync(c, sql, header, width, result, null, ct);
                    if (result.RowsRejected > 0)
                    {
                        await ExecuteAsync(c, $"DELETE FROM {DuckDbTypes.Quote(req.Dataset.Name)} WHERE _upload_id = $id", ct, P("id", req.Upload.UploadId));
                        result.RowsAccepted = 0;
                    }
                    else
                    {
                        result.RowsAccepted += await ForEachSuspectAsync(c, sql, header, width, new ValidationResult(), SinkFor(c, appenders, req, loadedAt), ct);
                    }
                }
            }
            Interlocked.Increment(ref _bulkLoads);
            BulkLoadsCounter.Add(1);
            return result;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Validates, in file order, the rows SQL did not accept; appends the accepted ones to <paramref name="sink"/> when given.</summary>
    private static async Task<long> ForEachSuspectAsync(DuckDBConnection c, BulkSql sql, CsvHeader header, int width, ValidationResult result, IRowSink? sink, CancellationToken ct)
    {
        long appended = 0;
        var fields = new string?[header.FieldCount];
        var row = new FieldValue[width];
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql.Suspects;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var line = r.GetInt64(0);
            for (var f = 0; f < fields.Length; f++) fields[f] = r.IsDBNull(f + 1) ? null : r.GetString(f + 1);
            if (!CsvValidator.ValidateRecord(fields, header, row, line, result) || sink is null) continue;
            sink.Append(row, line);
            appended++;
        }
        return appended;
    }

    /// <summary>
    /// The statements of one bulk load. The rewritten file is read with every field as VARCHAR; each value is cast
    /// with TRY_CAST and accepted only if its text is the canonical spelling of the cast value (e.g. <c>517</c> or
    /// <c>517.0</c> for 517, never <c>517.5</c>, <c>1_000</c> or <c>+5</c>): for such text the C# parser yields the
    /// same value, so the fast path can never accept what the C# path rejects or load a different value.
    /// </summary>
    private sealed class BulkSql
    {
        public BulkSql(DatasetSchema dataset, CsvHeader header, string path)
        {
            var fileColumns = header.FileColumns;
            var columnsSpec = new StringBuilder("{'_l': 'BIGINT'");
            var casts = new StringBuilder();
            var fieldList = new StringBuilder();
            var checks = new List<string>();
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
                    ColumnType.Integer => ($"TRY_CAST({f} AS BIGINT)", $"({v}::VARCHAR = {f} OR {v}::VARCHAR || '.0' = {f})"),
                    ColumnType.Float => ($"TRY_CAST({f} AS DOUBLE)", $"(isfinite({v}) AND ({v}::VARCHAR = {f} OR {v}::VARCHAR = {f} || '.0'))"),
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
            var source = $"read_csv('{path.Replace("'", "''", StringComparison.Ordinal)}', header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"', " +
                         $"new_line = '\\n', strict_mode = true, null_padding = false, ignore_errors = false, columns = {columnsSpec})";
            var typed = $"(SELECT _l{fieldList}{casts} FROM {source})";
            var ok = checks.Count == 0 ? "true" : string.Join(" AND ", checks);
            var names = string.Join(", ", dataset.Columns.Select(col => DuckDbTypes.Quote(col.Name)).Concat(SystemColumns));
            Insert = $"INSERT INTO {DuckDbTypes.Quote(dataset.Name)} ({names}) SELECT {string.Join(", ", values)}, $id, _l, $at FROM {typed} WHERE {ok}";
            Suspects = $"SELECT _l{fieldList} FROM {typed} WHERE NOT ({ok}) ORDER BY _l";
        }

        public string Insert { get; }
        public string Suspects { get; }
    }
}
