using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.ServiceDefaults;

namespace Tarmac.Query;

/// <summary>The query function's routes.</summary>
public static class QueryEndpoints
{
    /// <summary>The dataset <c>GET /getdata</c> reads (the seed's path).</summary>
    public const string DefaultDataset = "flights";

    public static IEndpointRouteBuilder MapQuery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/getdata", GetData).WithName("GetData").WithTags("Query").WithSummary("The first rows of the flights dataset");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<IReadOnlyDictionary<string, object?>>>, ProblemHttpResult>> GetData(
        SchemaCatalog catalog, IWarehouseReader reader, CancellationToken ct)
    {
        if (!catalog.TryGet(DefaultDataset, out var dataset)) return Problems.UnknownDataset(DefaultDataset, catalog.NameList);
        return TypedResults.Ok(await reader.ReadFirstRowsAsync(dataset, 10, ct));
    }
}

public static class QueryServiceCollectionExtensions
{
    /// <summary>Registers the query function's services.</summary>
    public static IServiceCollection AddQuery(this IServiceCollection services) => services;
}
