using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tarmac.ServiceDefaults;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Ingest;

public static partial class IngestEndpoints
{
    private const string EventsDescription =
        "Records as JSON: one object or an array of objects (Content-Type: application/json), or one object per line " +
        "(application/x-ndjson); optionally Content-Encoding: gzip. Fields are the dataset's columns by name, typed as CSV values are " +
        "(a string's text, a number, true/false; null is empty); an unknown field, a missing REQUIRED column or a nested value rejects the record. " +
        "The body is stored as sent and is an upload like a CSV file: same id, status, dedupe (the same bytes answer the first upload), limits and errors, " +
        "which give the NDJSON line, or the array index. Answers 200 with the upload id once stored; with wait=true, waits for the load and answers " +
        "with its outcome (202 if it takes longer).";

    /// <summary>Maps <c>POST /events</c> (flights) and <c>POST /datasets/{name}/events</c> on the uploads group.</summary>
    private static void MapEvents(this RouteGroupBuilder uploads)
    {
        uploads.MapPost("/events", EventsDefault).WithName("PostFlightEvents").RequireAccess(Scopes.Upload, DefaultDataset).RecordsUploadOwner()
            .WithSummary("Send flights records as JSON or NDJSON").WithDescription(EventsDescription).WithEventsDocs();
        uploads.MapPost("/datasets/{name}/events", EventsToDataset).WithName("PostEvents").RequireAccess(Scopes.Upload).RecordsUploadOwner()
            .WithSummary("Send records of a dataset as JSON or NDJSON").WithDescription(EventsDescription).WithEventsDocs()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static RouteHandlerBuilder WithEventsDocs(this RouteHandlerBuilder b) => b
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status507InsufficientStorage)
        .AddOpenApiOperationTransformer((op, context, _) => EventsDocs.DescribeBody(op, context));

    private static Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> EventsDefault(
        HttpRequest request, [FromQuery] bool? wait, UploadService uploads, TarmacOptions options, CancellationToken ct) =>
        EventsAsync(request, DefaultDataset, wait ?? false, uploads, options, ct);

    private static Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> EventsToDataset(
        HttpRequest request, string name, [FromQuery] bool? wait, UploadService uploads, TarmacOptions options, CancellationToken ct) =>
        EventsAsync(request, name, wait ?? false, uploads, options, ct);

    private static async Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> EventsAsync(
        HttpRequest request, string dataset, bool wait, UploadService uploads, TarmacOptions options, CancellationToken ct)
    {
        var compressed = CsvRequestBody.IsCompressed(request);
        if (uploads.Screen(dataset, null, compressed) is { } early) return ToProblem(early);
        // The upload routes' 413 points large files to POST /uploads, a CSV-only route: events get their own hint.
        var limit = options.EffectiveMaxUploadBytes;
        if (!compressed && request.ContentLength > limit)
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"The body exceeds the limit of {limit} bytes. Send the records in several smaller requests.");
        var gate = request.HttpContext.RequestServices.GetRequiredService<UploadGate>();
        using var slot = gate.TryEnter(out var refusal);
        if (slot is null) return gate.Refuse(request.HttpContext, refusal);
        var (body, format, problem) = JsonRequestBody.Open(request);
        if (problem is not null) return problem;

        var incoming = new IncomingUpload(dataset, body!, compressed, null, request.ContentType, request.Headers.UserAgent.ToString(), request.ContentLength, slot)
        {
            Format = format,
        };
        return Answer(await uploads.AcceptAsync(incoming, wait, ct), wait, request.HttpContext);
    }
}
