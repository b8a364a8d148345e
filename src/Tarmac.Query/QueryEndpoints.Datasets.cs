using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Query.Http;
using Tarmac.ServiceDefaults;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Query;

public static partial class QueryEndpoints
{
    private static async Task<Results<Ok<IReadOnlyList<DatasetView>>, ProblemHttpResult>> ListDatasets(
        HttpContext http, SchemaCatalog catalog, DatasetDescriber describer, QueryDeadline deadline)
    {
        var caller = http.Caller();
        // Only datasets the token may read: granted, and with every filter of the token applicable to it.
        var all = catalog.Datasets.Where(d => caller.MayUse(d.Name) && Granted(http, d, out _) is not null).OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
        var (views, problem) = await DescribeAsync(all, http, describer, deadline);
        return views is null ? problem! : TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<DatasetView>, ProblemHttpResult>> GetDataset(
        string name, HttpContext http, SchemaCatalog catalog, DatasetDescriber describer, QueryDeadline deadline)
    {
        if (!catalog.TryGet(name, out var dataset)) return Problems.UnknownDataset(name, catalog.NameList);
        if (Granted(http, dataset, out var refused) is null) return refused!;
        var (views, problem) = await DescribeAsync([dataset], http, describer, deadline);
        return views is null ? problem! : TypedResults.Ok(views[0]);
    }

    private static async Task<(IReadOnlyList<DatasetView>? Views, ProblemHttpResult? Problem)> DescribeAsync(
        DatasetSchema[] datasets, HttpContext http, DatasetDescriber describer, QueryDeadline deadline)
    {
        IReadOnlyList<DatasetView>? views = null;
        // Nothing streams here, so the only other answer the deadline gives is its 503 problem.
        var result = await deadline.RunAsync(http, async (ct, _) =>
        {
            // A filter token's row counts are of its rows only.
            views = await describer.DescribeAsync(datasets, ct, ds => Granted(http, ds, out var ignored) ?? []);
            return Results.Empty;
        });
        return (views, result as ProblemHttpResult);
    }
}
