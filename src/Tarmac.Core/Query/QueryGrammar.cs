using System.Globalization;
using System.Text;
using Tarmac.Core.Datasets;

namespace Tarmac.Core.Query;

/// <summary>
/// The query-string grammar of <c>/getdata</c>, <c>/datasets/{name}/rows</c> and the stats endpoints, checked against
/// a dataset's schema. Everything not in the grammar is refused with the parameter named and the allowed values listed.
/// </summary>
public static partial class QueryGrammar
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
        List<SortKey> sort = [];
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
        return new StatsRequest(new StatsQuery(dataset, groupBy, metrics, filters, minCount, sort, limit, Snapshot: null), normalized.ToString());
    }

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
}
