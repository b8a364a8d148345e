using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Core.Datasets;
using Tarmac.Testing;

namespace Tarmac.Query.Tests;

/// <summary>One generated row: its values by column (typed CLR values, null for NULL) and its load position.</summary>
public sealed record Row(int Upload, int Line, IReadOnlyDictionary<string, object?> Values)
{
    public object? this[string column] => Values[column];
}

/// <summary>A generated dataset: schema, rows in load order, and how to write them as CSV uploads.</summary>
public sealed class GeneratedDataset(DatasetSchema schema)
{
    public DatasetSchema Schema { get; } = schema;
    public List<Row> Rows { get; } = [];

    public string KeyColumn => Schema.Columns[0].Name;

    /// <summary>Adds rows as upload number <paramref name="upload"/> and returns their CSV.</summary>
    public string AddUpload(int upload, IEnumerable<Dictionary<string, object?>> rows)
    {
        var csv = new StringBuilder().AppendJoin(',', Schema.Columns.Select(c => c.Name)).Append('\n');
        var line = 1;
        foreach (var values in rows)
        {
            line++;
            Rows.Add(new Row(upload, line, values));
            csv.AppendJoin(',', Schema.Columns.Select(c => CsvField(values[c.Name]))).Append('\n');
        }
        return csv.ToString();
    }

    private static string CsvField(object? v) => v switch
    {
        null => "",
        string s when s.IndexOfAny([',', '"', '\n', '\r']) >= 0 => "\"" + s.Replace("\"", "\"\"") + "\"",
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        _ => Canon.Of(v),
    };
}

/// <summary>Canonical text of values, so expected (CLR) and actual (JSON, CSV) values compare exactly.</summary>
public static class Canon
{
    public static string Of(object? v) => v switch
    {
        null => "null",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        decimal m => m.ToString("0.#########", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => s,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcTicks.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"Unexpected {v.GetType()}"),
    };

    public static string Of(ColumnType type, JsonElement e) => e.ValueKind == JsonValueKind.Null ? "null" : type switch
    {
        ColumnType.Integer => Of(e.GetInt64()),
        ColumnType.Float => Of(e.GetDouble()),
        ColumnType.Numeric => Of(e.GetDecimal()),
        ColumnType.Boolean => Of(e.GetBoolean()),
        ColumnType.String => e.GetString()!,
        ColumnType.Date => e.GetString()!,
        ColumnType.Timestamp => Of(DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException(type.ToString()),
    };

    /// <summary>Orders values as the API does: NULLs last in both directions, then the load-order tie-breaker.</summary>
    public static IOrderedEnumerable<Row> SortLikeApi(IEnumerable<Row> rows, params (string Column, bool Desc)[] keys)
    {
        IOrderedEnumerable<Row>? ordered = null;
        foreach (var (column, desc) in keys)
        {
            var cmp = Comparer<object?>.Create((a, b) => CompareNullsLast(a, b, desc));
            ordered = ordered is null ? rows.OrderBy(r => r[column], cmp) : ordered.ThenBy(r => r[column], cmp);
        }
        ordered = ordered is null ? rows.OrderBy(r => r.Upload) : ordered.ThenBy(r => r.Upload);
        return ordered.ThenBy(r => r.Line);
    }

    private static int CompareNullsLast(object? a, object? b, bool desc)
    {
        if (a is null) return b is null ? 0 : 1;
        if (b is null) return -1;
        var c = a is string sa ? string.CompareOrdinal(sa, (string)b) : ((IComparable)a).CompareTo(b);
        return desc ? -c : c;
    }

    /// <summary>DuckDB's quantile_cont: linear interpolation between the order statistics around (n-1)q.</summary>
    public static double? QuantileCont(IEnumerable<double> values, double q)
    {
        var x = values.Order().ToArray();
        if (x.Length == 0) return null;
        var pos = (x.Length - 1) * q;
        var lo = (int)Math.Floor(pos);
        var hi = (int)Math.Ceiling(pos);
        return x[lo] + (pos - lo) * (x[hi] - x[lo]);
    }
}

/// <summary>Deterministic data for the query tests.</summary>
public static class Generate
{
    public const string TypedSchema = """
        [{"name":"k","type":"INTEGER","mode":"REQUIRED"},{"name":"i","type":"INTEGER"},{"name":"f","type":"FLOAT"},{"name":"n","type":"NUMERIC"},
         {"name":"b","type":"BOOLEAN"},{"name":"s","type":"STRING"},{"name":"d","type":"DATE"},{"name":"t","type":"TIMESTAMP"}]
        """;

    public static readonly string[] Strings = ["alpha", "alpine", "beta", "Alpha", "zeta", "=SUM(A1:A9)", "+1", "-2", "@cmd", "a,b", "say \"hi\"", "\ttab", "omega"];
    public static readonly string?[] Carriers = ["UA", "AA", "B6", "DL", "WN", null];
    public static readonly string[] Airports = ["EWR", "JFK", "LGA"];

    public static IEnumerable<Dictionary<string, object?>> TypedRows(int first, int count, int seed)
    {
        var rnd = new Random(seed);
        for (var k = first; k < first + count; k++)
        {
            yield return new Dictionary<string, object?>
            {
                ["k"] = (long)k,
                ["i"] = rnd.Next(10) == 0 ? null : (long)rnd.Next(-50, 51),
                ["f"] = rnd.Next(10) == 0 ? null : Math.Round(rnd.NextDouble() * 100 - 30, 1),
                ["n"] = rnd.Next(10) == 0 ? null : rnd.Next(0, 10000) / 100m,
                ["b"] = rnd.Next(10) == 0 ? null : rnd.Next(2) == 0,
                ["s"] = rnd.Next(10) == 0 ? null : Strings[rnd.Next(Strings.Length)],
                ["d"] = rnd.Next(10) == 0 ? null : new DateOnly(2024, 1, 1).AddDays(rnd.Next(60)),
                ["t"] = rnd.Next(10) == 0 ? null : new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(rnd.Next(200_000)),
            };
        }
    }

    public static IEnumerable<Dictionary<string, object?>> FlightRows(int first, int count, int seed)
    {
        var rnd = new Random(seed);
        for (var id = first; id < first + count; id++)
        {
            var month = rnd.Next(1, 13);
            var day = rnd.Next(1, 29);
            var hour = rnd.Next(5, 23);
            var minute = rnd.Next(0, 60);
            var cancelled = rnd.Next(15) == 0;
            yield return new Dictionary<string, object?>
            {
                ["id"] = (long)id, ["year"] = 2013L, ["month"] = (long)month, ["day"] = (long)day,
                ["dep_time"] = cancelled ? null : (long)(hour * 100 + minute), ["sched_dep_time"] = (long)(hour * 100 + minute),
                ["dep_delay"] = cancelled ? null : (double)rnd.Next(-15, 120),
                ["arr_time"] = cancelled ? null : (long)rnd.Next(0, 2400), ["sched_arr_time"] = (long)rnd.Next(0, 2400),
                ["arr_delay"] = cancelled ? null : Math.Round(rnd.NextDouble() * 150 - 40, 2),
                ["carrier"] = Carriers[rnd.Next(Carriers.Length)], ["flight"] = rnd.Next(1, 3000).ToString(CultureInfo.InvariantCulture),
                ["tailnum"] = "N" + rnd.Next(100, 999).ToString(CultureInfo.InvariantCulture),
                ["origin"] = Airports[rnd.Next(Airports.Length)], ["dest"] = Airports[rnd.Next(Airports.Length)] + "X",
                ["air_time"] = cancelled ? null : (double)rnd.Next(30, 400), ["distance"] = (double)rnd.Next(100, 2500),
                ["hour"] = (long)hour, ["minute"] = (long)minute,
                ["time_hour"] = new DateTimeOffset(2013, month, day, hour, 0, 0, TimeSpan.Zero),
                ["name"] = rnd.Next(8) == 0 ? Strings[rnd.Next(Strings.Length)] : "United Air Lines Inc.",
            };
        }
    }

    /// <summary>A schema folder with flights and the all-types <c>typed</c> dataset.</summary>
    public static string SchemaDir()
    {
        var dir = TempDirs.Create("query-schemas");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json"), Path.Combine(dir, "flights.json"));
        File.WriteAllText(Path.Combine(dir, "typed.json"), TypedSchema);
        return dir;
    }

    public static async Task UploadAsync(TarmacHost host, string dataset, string csv)
    {
        var response = await host.PostCsvAsync($"/datasets/{dataset}/upload?wait=true", csv);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("loaded", doc.GetProperty("status").GetString());
    }
}

/// <summary>One host loaded with 1,200 flights (two uploads) and 600 typed rows (two uploads), shared by read-only tests.</summary>
public sealed class LoadedHost : IAsyncLifetime, IDisposable
{
    public TarmacHost Host { get; private set; } = null!;
    public GeneratedDataset Flights { get; private set; } = null!;
    public GeneratedDataset Typed { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var schemas = Generate.SchemaDir();
        var catalog = SchemaCatalog.Load(schemas);
        Host = new TarmacHost(schemaDir: schemas);
        catalog.TryGet("flights", out var flights);
        catalog.TryGet("typed", out var typed);
        Flights = new GeneratedDataset(flights);
        Typed = new GeneratedDataset(typed);
        await Generate.UploadAsync(Host, "flights", Flights.AddUpload(0, Generate.FlightRows(0, 700, 1)));
        await Generate.UploadAsync(Host, "flights", Flights.AddUpload(1, Generate.FlightRows(700, 500, 2)));
        await Generate.UploadAsync(Host, "typed", Typed.AddUpload(0, Generate.TypedRows(0, 350, 3)));
        await Generate.UploadAsync(Host, "typed", Typed.AddUpload(1, Generate.TypedRows(350, 250, 4)));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => Host?.Dispose();
}

/// <summary>HTTP helpers.</summary>
public static class Api
{
    public static async Task<(HttpResponseMessage Response, JsonElement Body)> GetJsonAsync(this TarmacHost host, string url)
    {
        var response = await host.Http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The values of one column of a JSON array of row objects, canonical.</summary>
    public static List<string> Column(this JsonElement rows, string column, ColumnType type) =>
        rows.EnumerateArray().Select(r => Canon.Of(type, r.GetProperty(column))).ToList();

    public static string? NextLink(this HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        var link = links.Single();
        Assert.EndsWith(">; rel=\"next\"", link);
        return link[1..link.IndexOf('>', StringComparison.Ordinal)];
    }
}
