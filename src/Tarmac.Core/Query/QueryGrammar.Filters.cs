using System.Globalization;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Core.Query;

/// <summary>The filter half of the grammar: <c>column=value</c> and <c>column__operator=value</c>, with typed values.</summary>
public static partial class QueryGrammar
{
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
