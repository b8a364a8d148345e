using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.ServiceDefaults;

namespace Tarmac.Query;

/// <summary>The query function's routes.</summary>
public static class QueryEndpoints
{
    /// <summary>The dataset <c>GET /getdata</c> and <c>GET /stats</c> read (the seed's path).</summary>
    public const string DefaultDataset = SchemaCatalog.DefaultDataset;

    public static IEndpointRouteBuilder MapQuery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/getdata", GetFlights).WithName("GetData").WithTags("Query")
            .WithSummary("Rows of the flights dataset: filters, fields, sort, keyset pages, JSON/NDJSON/CSV")
            .WithDescription(QueryDocs.RowsDescription).WithRowsDocs();
        app.MapGet("/datasets/{name}/rows", GetDatasetRows).WithName("GetDatasetRows").WithTags("Query")
            .WithSummary("Rows of any dataset (same grammar as /getdata)")
            .WithDescription(QueryDocs.RowsDescription).WithRowsDocs().ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/stats", GetFlightStats).WithName("GetStats").WithTags("Query")
            .WithSummary("Aggregates of the flights dataset: group_by, metrics, filters, min_count, sort")
            .WithDescription(QueryDocs.StatsDescription).WithStatsDocs();
        app.MapGet("/datasets/{name}/stats", GetDatasetStats).WithName("GetDatasetStats").WithTags("Query")
            .WithSummary("Aggregates of any dataset (same grammar as /stats)")
            .WithDescription(QueryDocs.StatsDescription).WithStatsDocs().ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/datasets", ListDatasets).WithName("ListDatasets").WithTags("Datasets")
            .WithSummary("Every dataset: columns with types and modes, row count, last load time, data version")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/datasets/{name}", GetDataset).WithName("GetDataset").WithTags("Datasets")
            .WithSummary("One dataset: columns with types and modes, row count, last load time, data version")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Task<IResult> GetFlights(HttpContext http, QueryService service) => service.RowsAsync(http, DefaultDataset);

    private static Task<IResult> GetDatasetRows(string name, HttpContext http, QueryService service) => service.RowsAsync(http, name);

    private static Task<IResult> GetFlightStats(HttpContext http, QueryService service) => service.StatsAsync(http, DefaultDataset);

    private static Task<IResult> GetDatasetStats(string name, HttpContext http, QueryService service) => service.StatsAsync(http, name);

    private static async Task<Results<Ok<IReadOnlyList<DatasetView>>, ProblemHttpResult>> ListDatasets(QueryService service, HttpContext http)
    {
        var (views, problem) = await service.DescribeAsync(http, null);
        return problem is null ? TypedResults.Ok(views!) : problem;
    }

    private static async Task<Results<Ok<DatasetView>, ProblemHttpResult>> GetDataset(string name, QueryService service, HttpContext http)
    {
        var (views, problem) = await service.DescribeAsync(http, name);
        return problem is null ? TypedResults.Ok(views![0]) : problem;
    }

    private static RouteHandlerBuilder WithRowsDocs(this RouteHandlerBuilder b) => b
        .Produces<IReadOnlyList<IReadOnlyDictionary<string, object?>>>(StatusCodes.Status200OK, "application/json", "application/x-ndjson", "text/csv")
        .Produces(StatusCodes.Status304NotModified)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .AddOpenApiOperationTransformer((op, _, _) => QueryDocs.DescribeRows(op));

    private static RouteHandlerBuilder WithStatsDocs(this RouteHandlerBuilder b) => b
        .Produces<IReadOnlyList<IReadOnlyDictionary<string, object?>>>(StatusCodes.Status200OK, "application/json")
        .Produces(StatusCodes.Status304NotModified)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .AddOpenApiOperationTransformer((op, _, _) => QueryDocs.DescribeStats(op));
}
