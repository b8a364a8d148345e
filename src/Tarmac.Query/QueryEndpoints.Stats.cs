using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.Query.Http;
using Tarmac.ServiceDefaults;

namespace Tarmac.Query;

public static partial class QueryEndpoints
{
    private static Task<IResult> GetFlightStats(HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline) =>
        StatsAsync(DefaultDataset, http, catalog, reader, deadline);

    private static Task<IResult> GetDatasetStats(string name, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline) =>
        StatsAsync(name, http, catalog, reader, deadline);

    private static async Task<IResult> StatsAsync(string datasetName, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline)
    {
        if (!catalog.TryGet(datasetName, out var dataset)) return Problems.UnknownDataset(datasetName, catalog.NameList);
        StatsRequest request;
        try
        {
            request = QueryGrammar.ParseStats(dataset, RequestQuery.Pairs(http.Request.Query));
        }
        catch (BadQueryParameterException e)
        {
            return BadParameter(e);
        }

        return await deadline.RunAsync(http, async (ct, startResponse) =>
        {
            var version = await reader.GetVersionAsync(dataset, ct);
            if (ConditionalGet.NotModified(http, version, request.Normalized)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            using var writer = ResponseRowWriter.For(RowFormat.Json, http.Response.BodyWriter, startResponse);
            http.Response.ContentType = writer.ContentType;
            await reader.QueryStatsAsync(request.ToQuery(version.LastLoadedAt), writer, ct);
            await writer.CompleteAsync(ct);
            return Results.Empty;
        });
    }
}
