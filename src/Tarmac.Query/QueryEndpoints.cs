using Tarmac.Core.Datasets;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Query;

/// <summary>
/// The query function's routes. Handlers parse the request with <see cref="Core.Query.QueryGrammar"/>, answer 304 when
/// the client's copy is current, and stream what the warehouse reader returns under the query time limit.
/// </summary>
public static partial class QueryEndpoints
{
    /// <summary>The dataset <c>GET /getdata</c> and <c>GET /stats</c> read (the seed's path).</summary>
    public const string DefaultDataset = SchemaCatalog.DefaultDataset;

    public static IEndpointRouteBuilder MapQuery(this IEndpointRouteBuilder app)
    {
        // Every query can outlive its time limit (503 with Retry-After).
        var query = app.MapGroup("").ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        var rows = query.MapGroup("").RequireAccess(Scopes.Read, DefaultDataset).WithTags("Query").WithDescription(QueryDocs.RowsDescription).WithRowsDocs();
        rows.MapGet("/getdata", GetFlights).WithName("GetData")
            .WithSummary("Rows of the flights dataset: filters, fields, sort, keyset pages, JSON/NDJSON/CSV");
        rows.MapGet("/datasets/{name}/rows", GetDatasetRows).WithName("GetDatasetRows")
            .WithSummary("Rows of any dataset (same grammar as /getdata)").ProducesProblem(StatusCodes.Status404NotFound);

        var stats = query.MapGroup("").RequireAccess(Scopes.Read, DefaultDataset).WithTags("Query").WithDescription(QueryDocs.StatsDescription).WithStatsDocs();
        stats.MapGet("/stats", GetFlightStats).WithName("GetStats")
            .WithSummary("Aggregates of the flights dataset: group_by, metrics, filters, min_count, sort");
        stats.MapGet("/datasets/{name}/stats", GetDatasetStats).WithName("GetDatasetStats")
            .WithSummary("Aggregates of any dataset (same grammar as /stats)").ProducesProblem(StatusCodes.Status404NotFound);

        var datasets = query.MapGroup("/datasets").RequireAccess(Scopes.Read).WithTags("Datasets");
        datasets.MapGet("", ListDatasets).WithName("ListDatasets")
            .WithSummary("Every dataset: columns with types and modes, row count, last load time, data version");
        datasets.MapGet("/{name}", GetDataset).WithName("GetDataset")
            .WithSummary("One dataset: columns with types and modes, row count, last load time, data version")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static RouteGroupBuilder WithRowsDocs(this RouteGroupBuilder b) => b
        .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(IReadOnlyList<IReadOnlyDictionary<string, object?>>), ["application/json", "application/x-ndjson", "text/csv"]))
        .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status304NotModified, typeof(void)))
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .AddOpenApiOperationTransformer((op, _, _) => QueryDocs.DescribeRows(op));

    private static RouteGroupBuilder WithStatsDocs(this RouteGroupBuilder b) => b
        .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(IReadOnlyList<IReadOnlyDictionary<string, object?>>), ["application/json"]))
        .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status304NotModified, typeof(void)))
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .AddOpenApiOperationTransformer((op, _, _) => QueryDocs.DescribeStats(op));
}
