using System.Globalization;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Core.Query;

/// <summary>Output formats of the rows endpoints.</summary>
public enum RowFormat
{
    Json,
    Ndjson,
    Csv,
}

/// <summary>A query parameter Tarmac cannot accept: which one, why, and what it allows.</summary>
public sealed class BadQueryParameterException(string parameter, string detail, IReadOnlyList<string>? allowed = null) : Exception(detail)
{
    public string Parameter { get; } = parameter;
    public IReadOnlyList<string>? Allowed { get; } = allowed;
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

/// <summary>A parsed stats request.</summary>
/// <remarks><see cref="Normalized"/> is the canonical text of the whole request, for the ETag.</remarks>
public sealed record StatsRequest(
    IReadOnlyList<ColumnSchema> GroupBy,
    IReadOnlyList<Metric> Metrics,
    IReadOnlyList<Filter> Filters,
    long? MinCount,
    IReadOnlyList<OutputSortKey> Sort,
    int Limit,
    string Normalized)
{
    public StatsQuery ToQuery(DatasetSchema dataset, DateTimeOffset? snapshot) =>
        new(dataset, GroupBy, Metrics, Filters, MinCount, Sort, Limit, snapshot);
}

/// <summary>
/// The query-string grammar of <c>/getdata</c>, <c>/datasets/{name}/rows</c> and the stats endpoints, checked against
/// a dataset's schema. Everything not in the grammar is refused with the parameter named and the allowed values listed.
/// </summary>
public static class QueryGrammar
{
    public const int DefaultRowsLimit = 10;
    public const int MaxJsonLimit = 10_000;
    public const int MaxStreamLimit = 1_000_000;
    public const int DefaultStatsLimit = 100;
    public const int MaxStatsLimit = 10_000;
    public const int MaxInValues = 100;
    public const int MaxSortKeys = 3;
    public const int MaxGroupBy = 3;

    /// <summary>Reserved parameters of the rows endpoints.</summary>
    public static readonly IReadOnlyList<string> RowsParameters = ["fields", "sort", "limit", "cursor", "format", "count"];

    /// <summary>Reserved parameters of the stats endpoints.</summary>
    public static readonly IReadOnlyList<string> StatsParameters = ["group_by", "metrics", "min_count", "sort", "limit"];

    /// <summary>Filter operators, as written after <c>__</c>; a bare column name means <c>eq</c>.</summary>
    public static readonly IReadOnlyList<string> Operators = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "notin", "between", "startswith", "isnull"];

    /// <summary>Metric functions; <c>count</c> takes no column, the others <c>fn:column</c> on a numeric column.</summary>
    public static readonly IReadOnlyList<string> MetricFunctions = ["count", "sum", "avg", "min", "max", "p50", "p95"];

    public static readonly IReadOnlyList<string> Formats = ["json", "ndjson", "csv"];

    /// <summary>Parses a rows request. <paramref name="negotiated"/> is the format the Accept header asks for, used when there is no <c>format</c>.</summary>
    /// <exception cref="BadQueryParameterException">Any parameter outside the grammar or the schema.</exception>
    public static RowsRequest ParseRows(DatasetSchema dataset, IEnumerable<KeyValuePair<string, string>> parameters, RowFormat negotiated = RowFormat.Json)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyList<ColumnSchema> fields = dataset.Columns;
        var fieldsGiven = false;
        var filters = new List<Filter>();
        IReadOnlyList<SortKey> sort = [];
        string? limitText = null, cursor = null;
        var format = negotiated;
        var count = false;
        foreach (var (key, value) in parameters)
        {
            if (RowsParameters.Contains(key) && !seen.Add(key))
                throw new BadQueryParameterException(key, $"'{key}' is given more than once; give it once.");
            switch (key)
            {
                case "fields": fields = ParseFields(dataset, value); fieldsGiven = true; break;
                case "sort": sort = ParseSort(dataset, value); break;
                case "limit": limitText = value; break;
                case "cursor":
                    if (string.IsNullOrEmpty(value)) throw new BadQueryParameterException(key, "'cursor' is empty; pass the cursor from the previous page's Link header, or leave it out for the first page.");
                    cursor = value;
                    break;
                case "format": format = ParseFormat(value); break;
                case "count": count = ParseBool(key, value); break;
                default: filters.Add(ParseFilter(dataset, key, value, RowsParameters)); break;
            }
        }
        var max = format == RowFormat.Json ? MaxJsonLimit : MaxStreamLimit;
        var limit = limitText is null ? DefaultRowsLimit : ParseLimit(limitText, max, format == RowFormat.Json
            ? $"JSON pages hold at most {MaxJsonLimit:N0} rows; use format=ndjson or format=csv for up to {MaxStreamLimit:N0}, or follow the Link header."
            : $"NDJSON and CSV pages hold at most {MaxStreamLimit:N0} rows; follow the Link header for more.");

        var normalized = new StringBuilder("dataset=").Append(dataset.Name);
        if (fieldsGiven) normalized.Append("&fields=").AppendJoin(',', fields.Select(f => f.Name));
        AppendFilters(normalized, filters);
        if (sort.Count > 0) normalized.Append("&sort=").AppendJoin(',', sort.Select(k => (k.Descending ? "-" : "") + k.Column.Name));
        return new RowsRequest(fields, filters, sort, limit, format, cursor, count, normalized.ToString());
    }

    /// <summary>Parses a stats request.</summary>
    /// <exception cref="BadQueryParameterException">Any parameter outside the grammar or the schema.</exception>
    public static StatsRequest ParseStats(DatasetSchema dataset, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyList<ColumnSchema> groupBy = [];
        IReadOnlyList<Metric> metrics = [new Metric(MetricFunction.Count, null)];
        var filters = new List<Filter>();
        string? sortText = null, limitText = null;
        long? minCount = null;
        foreach (var (key, value) in parameters)
        {
            if (StatsParameters.Contains(key) && !seen.Add(key))
                throw new BadQueryParameterException(key, $"'{key}' is given more than once; give it once.");
            switch (key)
            {
                case "group_by": groupBy = ParseGroupBy(dataset, value); break;
                case "metrics": metrics = ParseMetrics(dataset, value); break;
                case "min_count":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        throw new BadQueryParameterException(key, $"'min_count' must be a whole number ≥ 0, not '{value}'.");
                    minCount = n;
                    break;
                case "sort": sortText = value; break;
                case "limit": limitText = value; break;
                default: filters.Add(ParseFilter(dataset, key, value, StatsParameters)); break;
            }
        }
        var outputs = groupBy.Select(g => g.Name).Concat(metrics.Select(m => m.OutputKey)).ToList();
        if (outputs.Distinct(StringComparer.Ordinal).Count() != outputs.Count)
            throw new BadQueryParameterException("metrics", $"Output keys must be unique, but ({string.Join(", ", outputs)}) repeats one; drop the repeated metric or group-by column.");
        var sort = sortText is null ? [] : ParseOutputSort(sortText, outputs);
        var limit = limitText is null ? DefaultStatsLimit : ParseLimit(limitText, MaxStatsLimit, $"Stats answers hold at most {MaxStatsLimit:N0} groups; narrow with filters or min_count.");

        var normalized = new StringBuilder("dataset=").Append(dataset.Name)
            .Append("&group_by=").AppendJoin(',', groupBy.Select(g => g.Name))
            .Append("&metrics=").AppendJoin(',', metrics.Select(m => m.OutputKey));
        AppendFilters(normalized, filters);
        normalized.Append("&min_count=").Append(minCount?.ToString(CultureInfo.InvariantCulture))
            .Append("&sort=").AppendJoin(',', sort.Select(k => (k.Descending ? "-" : "") + k.OutputKey))
            .Append("&limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
        return new StatsRequest(groupBy, metrics, filters, minCount, sort, limit, normalized.ToString());
    }

    /// <summary>Parses <paramref name="text"/> as a value of <paramref name="column"/>, as the CSV validator would.</summary>
    /// <returns>The typed value (see <see cref="Filter"/>), or null with <paramref name="error"/> set.</returns>
    public static object? TryParseValue(ColumnSchema column, string text, out string? error)
    {
        if (text.Length == 0)
        {
            error = "is empty (to match missing values use __isnull=true)";
            return null;
        }
        var value = default(FieldValue);
        error = FieldParser.TryParse(text, column.Required ? column with { Required = false } : column, ref value);
        if (error is not null) return null;
        return column.Type switch
        {
            ColumnType.Integer => value.Int64,
            ColumnType.Float => value.Double,
            ColumnType.Numeric => value.Decimal,
            ColumnType.Boolean => value.Boolean,
            ColumnType.String => value.String!,
            ColumnType.Date => DateOnly.FromDateTime(value.DateTime),
            ColumnType.Timestamp => new DateTimeOffset(DateTime.SpecifyKind(value.DateTime, DateTimeKind.Utc)),
            _ => throw new InvalidOperationException($"Unknown column type {column.Type}."),
        };
    }

    /// <summary>Canonical, culture-invariant text of a typed value (for normalized queries and cursors).</summary>
    public static string Canonical(object value) => value switch
    {
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double x => x.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static RowFormat ParseFormat(string value) => value switch
    {
        "json" => RowFormat.Json,
        "ndjson" => RowFormat.Ndjson,
        "csv" => RowFormat.Csv,
        _ => throw new BadQueryParameterException("format", $"Unknown format '{value}'.", Formats),
    };

    private static bool ParseBool(string key, string value) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw new BadQueryParameterException(key, $"'{key}' must be true or false, not '{value}'.", ["true", "false"]),
    };

    private static int ParseLimit(string text, int max, string hint)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1)
            throw new BadQueryParameterException("limit", $"'limit' must be a whole number from 1 to {max:N0}, not '{text}'.");
        if (limit > max)
            throw new BadQueryParameterException("limit", $"'limit' {limit:N0} is over the maximum of {max:N0}. {hint}");
        return limit;
    }

    private static List<string> SplitList(string parameter, string value, int max, string what)
    {
        var items = value.Split(',');
        if (value.Length == 0 || items.Any(i => i.Length == 0))
            throw new BadQueryParameterException(parameter, $"'{parameter}' must be a comma-separated list of {what} with no empty item, not '{value}'.");
        if (items.Length > max)
            throw new BadQueryParameterException(parameter, $"'{parameter}' has {items.Length} items; at most {max} are allowed.");
        if (items.Distinct(StringComparer.Ordinal).Count() != items.Length)
            throw new BadQueryParameterException(parameter, $"'{parameter}' names an item twice: '{value}'.");
        return [.. items];
    }

    private static ColumnSchema Column(DatasetSchema dataset, string parameter, string name) =>
        dataset.TryGetColumn(name, out var column) ? column
        : throw new BadQueryParameterException(parameter, $"'{name}' is not a column of dataset '{dataset.Name}'.", dataset.Columns.Select(c => c.Name).ToList());

    private static List<ColumnSchema> ParseFields(DatasetSchema dataset, string value) =>
        SplitList("fields", value, dataset.Columns.Count, "column names").Select(n => Column(dataset, "fields", n)).ToList();

    private static List<ColumnSchema> ParseGroupBy(DatasetSchema dataset, string value) =>
        SplitList("group_by", value, MaxGroupBy, "column names").Select(n => Column(dataset, "group_by", n)).ToList();

    private static List<SortKey> ParseSort(DatasetSchema dataset, string value)
    {
        var keys = SplitList("sort", value, MaxSortKeys, "column names (prefix '-' for descending)");
        var sort = keys.Select(k => k.StartsWith('-') ? new SortKey(Column(dataset, "sort", k[1..]), true) : new SortKey(Column(dataset, "sort", k), false)).ToList();
        if (sort.Select(k => k.Column.Name).Distinct(StringComparer.Ordinal).Count() != sort.Count)
            throw new BadQueryParameterException("sort", $"'sort' names a column twice: '{value}'.");
        return sort;
    }

    private static List<OutputSortKey> ParseOutputSort(string value, List<string> outputs)
    {
        var keys = SplitList("sort", value, MaxSortKeys, "output keys (prefix '-' for descending)");
        var sort = new List<OutputSortKey>();
        foreach (var k in keys)
        {
            var desc = k.StartsWith('-');
            var name = desc ? k[1..] : k;
            if (!outputs.Contains(name))
                throw new BadQueryParameterException("sort", $"'{name}' is not an output key of this query; sort by a group-by column or a metric's key.", outputs);
            sort.Add(new OutputSortKey(name, desc));
        }
        if (sort.Select(k => k.OutputKey).Distinct(StringComparer.Ordinal).Count() != sort.Count)
            throw new BadQueryParameterException("sort", $"'sort' names a key twice: '{value}'.");
        return sort;
    }

    private static List<Metric> ParseMetrics(DatasetSchema dataset, string value)
    {
        var metrics = new List<Metric>();
        var numeric = dataset.Columns.Where(c => c.Type.IsNumeric()).Select(c => c.Name).ToList();
        foreach (var item in SplitList("metrics", value, 20, "metrics such as count or avg:dep_delay"))
        {
            if (item == "count") { metrics.Add(new Metric(MetricFunction.Count, null)); continue; }
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            var fn = colon < 0 ? item : item[..colon];
            var function = fn switch
            {
                "sum" => MetricFunction.Sum,
                "avg" => MetricFunction.Avg,
                "min" => MetricFunction.Min,
                "max" => MetricFunction.Max,
                "p50" => MetricFunction.P50,
                "p95" => MetricFunction.P95,
                _ => throw new BadQueryParameterException("metrics", $"Unknown metric '{item}': write count, or function:column such as avg:dep_delay.", MetricFunctions),
            };
            if (colon < 0) throw new BadQueryParameterException("metrics", $"Metric '{item}' needs a column: write {fn}:column.", numeric);
            var column = Column(dataset, "metrics", item[(colon + 1)..]);
            if (!column.Type.IsNumeric())
                throw new BadQueryParameterException("metrics", $"Metric '{item}': column '{column.Name}' is {column.Type.BigQueryName()}, and {fn} needs a numeric column.", numeric);
            metrics.Add(new Metric(function, column));
        }
        return metrics;
    }

    private static Filter ParseFilter(DatasetSchema dataset, string key, string value, IReadOnlyList<string> reserved)
    {
        string columnName, op;
        if (dataset.TryGetColumn(key, out _)) (columnName, op) = (key, "eq");
        else
        {
            var sep = key.LastIndexOf("__", StringComparison.Ordinal);
            if (sep <= 0 || !dataset.TryGetColumn(key[..sep], out _))
                throw new BadQueryParameterException(key, $"Unknown parameter '{key}'. Use one of the parameters listed, or filter on a column as column=value or column__operator=value.",
                    reserved.Concat(dataset.Columns.Select(c => c.Name)).ToList());
            (columnName, op) = (key[..sep], key[(sep + 2)..]);
        }
        var column = Column(dataset, key, columnName);
        var allowedOps = column.Type == ColumnType.String ? Operators : Operators.Where(o => o != "startswith").ToList();
        if (!allowedOps.Contains(op))
            throw new BadQueryParameterException(key, $"Unknown operator '{op}' for {column.Type.BigQueryName()} column '{column.Name}'.", allowedOps);

        object One(string text) => TryParseValue(column, text, out var error) ?? throw new BadQueryParameterException(key,
            $"'{text}' is not a valid {column.Type.BigQueryName()} value for '{column.Name}': the value {error}.");

        return op switch
        {
            "eq" => new Filter(column, FilterOperator.Eq, [One(value)]),
            "ne" => new Filter(column, FilterOperator.Ne, [One(value)]),
            "gt" => new Filter(column, FilterOperator.Gt, [One(value)]),
            "gte" => new Filter(column, FilterOperator.Gte, [One(value)]),
            "lt" => new Filter(column, FilterOperator.Lt, [One(value)]),
            "lte" => new Filter(column, FilterOperator.Lte, [One(value)]),
            "startswith" => new Filter(column, FilterOperator.StartsWith, [value.Length > 0 ? value : throw new BadQueryParameterException(key, $"'{key}' needs a prefix.")]),
            "in" or "notin" => new Filter(column, op == "in" ? FilterOperator.In : FilterOperator.NotIn, InList(key, value).Select(One).ToList()),
            "between" => Between(key, value, One, column),
            "isnull" => new Filter(column, FilterOperator.IsNull, [ParseBool(key, value)]),
            _ => throw new InvalidOperationException(op),
        };
    }

    private static string[] InList(string key, string value)
    {
        var items = value.Split(',');
        if (items.Length > MaxInValues)
            throw new BadQueryParameterException(key, $"'{key}' has {items.Length} values; at most {MaxInValues} are allowed.");
        return items;
    }

    private static Filter Between(string key, string value, Func<string, object> one, ColumnSchema column)
    {
        var items = value.Split(',');
        if (items.Length != 2)
            throw new BadQueryParameterException(key, $"'{key}' needs exactly two values, low,high (inclusive), not '{value}'.");
        return new Filter(column, FilterOperator.Between, [one(items[0]), one(items[1])]);
    }

    private static void AppendFilters(StringBuilder normalized, List<Filter> filters)
    {
        var texts = filters.Select(f => $"{f.Column.Name}__{f.Operator.ToString().ToLowerInvariant()}={string.Join(',', f.Values.Select(Canonical))}")
            .Order(StringComparer.Ordinal);
        foreach (var t in texts) normalized.Append("&where=").Append(Uri.EscapeDataString(t));
    }
}
