using Tarmac.Core.Datasets;
using Tarmac.Core.Query;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// A token's row filters as query filters: each <c>column → values</c> becomes <c>column IN (values)</c>, ANDed with
/// whatever the request asks, so a query string can narrow a read but never widen it.
/// </summary>
public static class RowFilters
{
    /// <summary>The caller's filters over a dataset, or a refusal when one cannot apply (fail closed, never ignored).</summary>
    public static IReadOnlyList<Filter> For(Caller caller, DatasetSchema dataset, out string? refusal)
    {
        refusal = null;
        var filters = new List<Filter>();
        foreach (var (name, values) in caller.Filters.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (!dataset.TryGetColumn(name, out var column))
            {
                refusal = $"This token may read only rows filtered on '{name}', which dataset '{dataset.Name}' does not have.";
                return [];
            }
            var typed = new List<object>();
            foreach (var text in values)
            {
                if (QueryGrammar.TryParseValue(column, text, out _) is { } value) typed.Add(value);
            }
            // A value of the wrong type matches no row, so it is dropped; with none left the token can read nothing here.
            if (typed.Count == 0)
            {
                refusal = $"This token's filter on '{name}' has no value that column '{name}' of dataset '{dataset.Name}' can hold.";
                return [];
            }
            filters.Add(new Filter(column, FilterOperator.In, typed));
        }
        return filters;
    }

    /// <summary>Canonical text of the filters, folded into the normalized query (ETags and cursor binding).</summary>
    public static string Describe(IReadOnlyList<Filter> filters) =>
        string.Concat(filters.Select(f => $"&grant={Uri.EscapeDataString(f.Column.Name)}__{f.Operator.ToString().ToLowerInvariant()}={Uri.EscapeDataString(string.Join(',', f.Values.Select(QueryGrammar.Canonical)))}"));
}
