using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.Query.Http;
using Tarmac.ServiceDefaults;

namespace Tarmac.Query;

public static partial class QueryEndpoints
{
    private static Task<IResult> GetFlights(HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline, TarmacOptions options) =>
        RowsAsync(DefaultDataset, http, catalog, reader, deadline, options);

    private static Task<IResult> GetDatasetRows(string name, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline, TarmacOptions options) =>
        RowsAsync(name, http, catalog, reader, deadline, options);

    private static async Task<IResult> RowsAsync(string datasetName, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline, TarmacOptions options)
    {
        if (!catalog.TryGet(datasetName, out var dataset)) return Problems.UnknownDataset(datasetName, catalog.NameList);
        RowsRequest request;
        KeysetPosition? after = null;
        DateTimeOffset? cursorSnapshot = null;
        try
        {
            request = QueryGrammar.ParseRows(dataset, RequestQuery.Pairs(http.Request.Query), RequestQuery.Negotiate(http.Request.Headers.Accept));
            if (request.Cursor is not null) (cursorSnapshot, after) = Cursor.Decode(request, request.Cursor);
        }
        catch (BadQueryParameterException e)
        {
            return BadParameter(e);
        }

        return await deadline.RunAsync(http, async (ct, startResponse) =>
        {
            var version = await reader.GetVersionAsync(dataset, ct);
            // Every page of a walk sees the data as it was on the first page: later loads cannot shift or repeat rows.
            var snapshot = request.Cursor is null ? version.LastLoadedAt : cursorSnapshot;
            if (ConditionalGet.NotModified(http, version, request.Representation)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);

            var query = request.ToQuery(dataset, after, snapshot);
            if (request.Count) http.Response.Headers["X-Total-Count"] = (await reader.CountAsync(query, ct)).ToString(CultureInfo.InvariantCulture);
            void LinkNext(KeysetPosition end) =>
                http.Response.Headers.Link = $"<{RequestQuery.NextPageUrl(http.Request, Cursor.Encode(request, snapshot, end))}>; rel=\"next\"";

            using var writer = ResponseRowWriter.For(request.Format, http.Response.BodyWriter, startResponse);
            http.Response.ContentType = writer.ContentType;
            if (query.Limit <= Math.Min(options.BufferedPageRows, RowsPage.MaxRows))
            {
                var page = await reader.ReadPageAsync(query, ct);
                if (page.Next is { } end) LinkNext(end);
                await page.WriteToAsync(writer, ct);
            }
            else
            {
                await reader.ExportRowsAsync(query, LinkNext, writer, ct);
            }
            await writer.CompleteAsync(ct);
            return Results.Empty;
        });
    }

    private static ProblemHttpResult BadParameter(BadQueryParameterException e) =>
        Problems.BadParameter(e.Parameter, e.Message, e.Allowed);

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
