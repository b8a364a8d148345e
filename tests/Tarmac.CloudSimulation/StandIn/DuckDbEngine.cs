using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// The stand-in's warehouse: an in-memory DuckDB that stores the BigQuery tables and EXECUTES the GoogleSQL it receives,
/// after this dialect translation (the whole of it; anything else is passed through and must mean the same in both):
/// <list type="number">
/// <item><c>`project.dataset.table`</c> → <c>"table"</c> (another project or dataset is "Not found", as in BigQuery).</item>
/// <item>other <c>`identifier`</c> → <c>"identifier"</c>.</item>
/// <item><c>UNNEST(@array)</c> → <c>UNNEST(from_json($array, '["TYPE"]'))</c> (an ARRAY parameter is bound as a JSON text), and <c>IN UNNEST(…)</c> → <c>IN (SELECT UNNEST(…))</c>.</item>
/// <item><c>APPROX_QUANTILES(x, 100 IGNORE NULLS)[SAFE_OFFSET(n)]</c> → <c>quantile_disc(x, n/100)</c> (exact where BigQuery approximates).</item>
/// <item><c>COUNTIF(</c> → <c>count_if(</c>; <c>UNIX_MICROS(</c> → <c>epoch_us(</c>; <c>AS FLOAT64</c>/<c>INT64</c>/<c>STRING</c>/<c>BOOL</c> → DOUBLE/BIGINT/VARCHAR/BOOLEAN.</item>
/// <item>the column name <c>at</c>, a DuckDB keyword but no GoogleSQL one, → <c>"at"</c>.</item>
/// <item><c>@name</c> → <c>$name</c>, bound from <c>queryParameters</c> by type (STRING, INT64, FLOAT64, NUMERIC, BOOL, DATE, TIMESTAMP).</item>
/// </list>
/// <c>IF(c, a, b)</c>, <c>STARTS_WITH</c>, <c>WINDOW w AS (…)</c>, <c>NULLS LAST</c>, <c>LIMIT/OFFSET</c> and the aggregates are
/// the same in DuckDB. TIMESTAMP values are stored as UTC and answered as int64 microseconds (<c>useInt64Timestamp</c>).
/// </summary>
public sealed partial class DuckDbEngine : IDisposable
{
    private readonly DuckDBConnection _db = new("DataSource=:memory:");
    private readonly Lock _lock = new();
    private readonly string _project;
    private readonly string _dataset;

    public DuckDbEngine(string project, string dataset)
    {
        _project = project;
        _dataset = dataset;
        _db.Open();
    }

    public void CreateTable(string name, IReadOnlyList<BqField> fields)
    {
        var columns = string.Join(", ", fields.Select(f => $"{Quote(f.Name)} {StorageType(f.Type)}{(f.Required ? " NOT NULL" : "")}"));
        Execute($"CREATE TABLE {Quote(name)} ({columns})");
    }

    /// <summary>Appends rows in one transaction: all or none (a load job is atomic).</summary>
    public void Insert(string table, IReadOnlyList<BqField> fields, IReadOnlyList<object?[]> rows)
    {
        if (rows.Count == 0) return;
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            using var cmd = _db.CreateCommand();
            cmd.CommandText = $"INSERT INTO {Quote(table)} ({string.Join(", ", fields.Select(f => Quote(f.Name)))}) VALUES ({string.Join(", ", fields.Select((_, i) => "$v" + i))})";
            foreach (var row in rows)
            {
                cmd.Parameters.Clear();
                for (var i = 0; i < fields.Count; i++) cmd.Parameters.Add(new DuckDBParameter("v" + i, row[i] ?? DBNull.Value));
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Runs a GoogleSQL query with its <c>queryParameters</c>; answers BigQuery's schema and text cells.</summary>
    /// <exception cref="DuckDBException">The SQL is not valid (BigQuery would answer 400 invalidQuery).</exception>
    public (JsonArray Fields, List<JsonArray> Rows) Query(string googleSql, JsonArray? parameters, bool int64Timestamps = true)
    {
        var types = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var p in parameters ?? []) types[p!["name"]!.GetValue<string>()] = p;
        var sql = Translate(googleSql, types);
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, p) in types) cmd.Parameters.Add(new DuckDBParameter(name, Bind(p)));
            using var reader = cmd.ExecuteReader();
            var fields = new JsonArray();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var name = reader.GetName(i);
                fields.Add(new JsonObject { ["name"] = IdentifierPattern().IsMatch(name) ? name : $"f{i}_", ["type"] = BigQueryType(reader.GetDataTypeName(i)), ["mode"] = "NULLABLE" });
            }
            var rows = new List<JsonArray>();
            while (reader.Read())
            {
                var cells = new JsonArray();
                for (var i = 0; i < reader.FieldCount; i++)
                    cells.Add(new JsonObject { ["v"] = reader.IsDBNull(i) ? null : Cell(reader.GetValue(i), fields[i]!["type"]!.GetValue<string>(), int64Timestamps) });
                rows.Add(cells);
            }
            return (fields, rows);
        }
    }

    /// <summary>GoogleSQL → DuckDB SQL (see the class remarks).</summary>
    public string Translate(string sql, IReadOnlyDictionary<string, JsonNode> parameters)
    {
        sql = TableRefPattern().Replace(sql, m =>
        {
            if (m.Groups[1].Value != _project || m.Groups[2].Value != _dataset)
                throw new StandInQueryException($"Not found: Dataset {m.Groups[1].Value}:{m.Groups[2].Value}", 404, "notFound");
            return Quote(m.Groups[3].Value);
        });
        sql = BacktickPattern().Replace(sql, m => Quote(m.Groups[1].Value));
        sql = UnnestPattern().Replace(sql, m =>
        {
            var name = m.Groups[2].Value;
            var element = parameters.TryGetValue(name, out var p) ? DuckType(p["parameterType"]!["arrayType"]?["type"]?.GetValue<string>() ?? "STRING") : "VARCHAR";
            var unnest = $"UNNEST(from_json(${name}, '[\"{element}\"]'))";
            // GoogleSQL's "x IN UNNEST(a)" is DuckDB's "x IN (SELECT UNNEST(a))".
            return m.Groups[1].Success ? $"IN (SELECT {unnest})" : unnest;
        });
        // "at" is a column of upload_events and a DuckDB keyword (AT TIME ZONE), but no GoogleSQL one.
        sql = KeywordColumnPattern().Replace(sql, "\"at\"");
        sql = QuantilePattern().Replace(sql, m => $"quantile_disc({m.Groups[1].Value}, {int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) / 100.0:0.00})");
        sql = Regex.Replace(sql, @"\bCOUNTIF\(", "count_if(");
        sql = Regex.Replace(sql, @"\bUNIX_MICROS\(", "epoch_us(");
        sql = Regex.Replace(sql, @"\bAS FLOAT64\)", "AS DOUBLE)");
        sql = Regex.Replace(sql, @"\bAS INT64\)", "AS BIGINT)");
        sql = Regex.Replace(sql, @"\bAS STRING\)", "AS VARCHAR)");
        sql = Regex.Replace(sql, @"\bAS BOOL\)", "AS BOOLEAN)");
        return ParameterPattern().Replace(sql, m => "$" + m.Groups[1].Value);
    }

    private static object Bind(JsonNode p)
    {
        var type = p["parameterType"]!["type"]!.GetValue<string>();
        var value = p["parameterValue"];
        if (type == "ARRAY")
        {
            var items = new JsonArray();
            foreach (var v in value?["arrayValues"]?.AsArray() ?? []) items.Add(v!["value"]?.GetValue<string>());
            return items.ToJsonString();
        }
        if (value?["value"]?.GetValue<string>() is not { } text) return DBNull.Value;
        return type switch
        {
            "STRING" => text,
            "INT64" => long.Parse(text, CultureInfo.InvariantCulture),
            "FLOAT64" => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            "NUMERIC" => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            "BOOL" => bool.Parse(text),
            "DATE" => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture).ToDateTime(TimeOnly.MinValue),
            "TIMESTAMP" => BigQueryValues.Timestamp(text) ?? throw new StandInQueryException($"Invalid TIMESTAMP parameter value '{text}'", 400, "invalidQuery"),
            _ => throw new StandInQueryException($"Unsupported parameter type {type}", 400, "invalidQuery"),
        };
    }

    private static string? Cell(object v, string type, bool int64Timestamps) => v switch
    {
        DateTime t when type == "TIMESTAMP" => int64Timestamps
            ? ((t.Ticks - DateTime.UnixEpoch.Ticks) / 10).ToString(CultureInfo.InvariantCulture)
            : ((t.Ticks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond).ToString("0.000000E0", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double d when double.IsNaN(d) => "NaN",
        double d when double.IsPositiveInfinity(d) => "Infinity",
        double d when double.IsNegativeInfinity(d) => "-Infinity",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
        decimal m => (m / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture),
        BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString(),
    };

    private static string BigQueryType(string duckType)
    {
        var t = duckType.ToUpperInvariant();
        if (t.Contains("TIMESTAMP", StringComparison.Ordinal)) return "TIMESTAMP";
        if (t.Contains("DATE", StringComparison.Ordinal)) return "DATE";
        if (t.Contains("INT", StringComparison.Ordinal)) return "INTEGER"; // TINYINT…HUGEINT (DuckDB sums BIGINT into HUGEINT)
        if (t is "DOUBLE" or "FLOAT" or "REAL") return "FLOAT";
        if (t.Contains("DECIMAL", StringComparison.Ordinal)) return "NUMERIC";
        if (t.Contains("BOOL", StringComparison.Ordinal)) return "BOOLEAN";
        return "STRING";
    }

    private static string StorageType(string bqType) => bqType switch
    {
        "INTEGER" => "BIGINT", "FLOAT" => "DOUBLE", "NUMERIC" => "DECIMAL(38,9)", "BOOLEAN" => "BOOLEAN",
        "STRING" => "VARCHAR", "DATE" => "DATE", "TIMESTAMP" => "TIMESTAMP",
        _ => throw new ArgumentException($"The stand-in does not store {bqType} columns."),
    };

    private static string DuckType(string parameterType) => StorageType(BqField.Normal(parameterType));

    private void Execute(string sql)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex(@"`([a-z][a-z0-9-]*)\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)`")]
    private static partial Regex TableRefPattern();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex BacktickPattern();

    [GeneratedRegex(@"(IN )?UNNEST\(@([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex UnnestPattern();

    [GeneratedRegex(@"APPROX_QUANTILES\(([^,]+), 100 IGNORE NULLS\)\[SAFE_OFFSET\((\d+)\)\]")]
    private static partial Regex QuantilePattern();

    [GeneratedRegex(@"@([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex(@"(?<![""\w])at\b(?!\s+TIME\s+ZONE)(?![""])")]
    private static partial Regex KeywordColumnPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();

    public void Dispose() => _db.Dispose();
}
