using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;

namespace Tarmac.Query;

/// <summary>Describes datasets as <c>GET /datasets</c> lists them: schema, row count, last load, data version.</summary>
public sealed class DatasetDescriber(IWarehouseReader reader)
{
    /// <summary>One view per dataset, in the order given; row counts see only the rows <paramref name="filtersFor"/> allows.</summary>
    public async Task<IReadOnlyList<DatasetView>> DescribeAsync(
        IEnumerable<DatasetSchema> datasets, CancellationToken ct, Func<DatasetSchema, IReadOnlyList<Filter>>? filtersFor = null)
    {
        var views = new List<DatasetView>();
        foreach (var ds in datasets)
        {
            var version = await reader.GetVersionAsync(ds, ct);
            var rows = await reader.CountAsync(RowsQuery.All(ds, version.LastLoadedAt) with { Filters = filtersFor?.Invoke(ds) ?? [] }, ct);
            views.Add(new DatasetView(ds.Name,
                ds.Columns.Select(c => new ColumnView(c.Name, c.Type.BigQueryName(), c.Required ? "REQUIRED" : "NULLABLE", c.Description)).ToList(),
                rows, version.LastLoadedAt, version.Version));
        }
        return views;
    }
}
