using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.ServiceDefaults;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Ingest;

/// <summary>The ingest function's routes.</summary>
public static partial class IngestEndpoints
{
    /// <summary>The dataset <c>POST /upload</c> writes to (the seed's path).</summary>
    public const string DefaultDataset = "flights";

    /// <summary>Maps the upload routes: the direct CSV uploads, JSON events, an upload's status, and <c>POST /uploads</c> for large files.</summary>
    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        // Antiforgery stays off even if a host turns it on: the clients are scripts without cookies, and a form here is read
        // by hand, not bound.
        var uploads = app.MapGroup("").WithTags("Uploads").DisableAntiforgery();

        uploads.MapPost("/upload", UploadDefault).WithName("UploadFlights").RequireAccess(Scopes.Upload, DefaultDataset).RecordsUploadOwner()
            .WithSummary("Upload a flights CSV file").WithDescription(UploadDescription).WithUploadProblems();
        uploads.MapPost("/datasets/{name}/upload", UploadToDataset).WithName("UploadToDataset").RequireAccess(Scopes.Upload).RecordsUploadOwner()
            .WithSummary("Upload a CSV file to a dataset").WithDescription(UploadDescription).WithUploadProblems()
            .ProducesProblem(StatusCodes.Status404NotFound);
        uploads.MapEvents();
        uploads.MapGet("/uploads/{id}", GetUpload).WithName("GetUpload").RequireAccess(Scopes.Status)
            .WithSummary("Status, row counts and row errors of an upload").ProducesProblem(StatusCodes.Status404NotFound);
        uploads.MapSignedUploads();
        return app;
    }

    private const string UploadDescription =
        "The CSV as the body (Content-Type: text/csv, optionally Content-Encoding: gzip) or as one file of a multipart/form-data form. " +
        "Answers 200 with the upload id once stored; with wait=true, waits for the load and answers with its outcome (202 if it takes longer).";

    // Per route, not on a group shared by the two: group metadata lands ahead of the handler's own 200/202 and would
    // list these problems first in the OpenAPI document.
    private static RouteHandlerBuilder WithUploadProblems(this RouteHandlerBuilder b) => b
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status507InsufficientStorage);

    private static Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> UploadDefault(
        HttpRequest request, [FromQuery] bool? wait, UploadService uploads, CancellationToken ct) =>
        UploadAsync(request, DefaultDataset, wait ?? false, uploads, ct);

    private static Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> UploadToDataset(
        HttpRequest request, string name, [FromQuery] bool? wait, UploadService uploads, CancellationToken ct) =>
        UploadAsync(request, name, wait ?? false, uploads, ct);

    private static async Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> UploadAsync(
        HttpRequest request, string dataset, bool wait, UploadService uploads, CancellationToken ct)
    {
        var compressed = CsvRequestBody.IsCompressed(request);
        // Screened before the body is opened, since opening a form reads it: an unknown dataset or an oversized
        // Content-Length is answered ahead of any complaint about the body.
        if (uploads.Screen(dataset, request.ContentLength, compressed) is { } early) return ToProblem(early);
        var gate = request.HttpContext.RequestServices.GetRequiredService<UploadGate>();
        using var slot = gate.TryEnter(out var refusal);
        if (slot is null) return gate.Refuse(request.HttpContext, refusal);
        var (csv, fileName, problem) = await CsvRequestBody.OpenAsync(request, ct);
        if (problem is not null) return problem;

        var incoming = new IncomingUpload(
            dataset, csv!, compressed, fileName, request.ContentType, request.Headers.UserAgent.ToString(), request.ContentLength, slot);
        return Answer(await uploads.AcceptAsync(incoming, wait, ct), wait, request.HttpContext);
    }

    /// <summary>The HTTP answer to an upload, CSV or events alike.</summary>
    private static Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult> Answer(UploadOutcome outcome, bool wait, HttpContext http) => outcome switch
    {
        // The wait ended before the load did: 202, pointing to where the outcome will show.
        UploadAccepted { Final: false } pending when wait =>
            TypedResults.Accepted($"/uploads/{pending.Upload.UploadId}", View(pending.Upload, http, pending.Duplicate)),
        UploadAccepted accepted => TypedResults.Ok(View(accepted.Upload, http, accepted.Duplicate)),
        UploadRefused refused => ToProblem(refused),
        var other => throw new UnreachableException($"Unexpected upload outcome {other.GetType().Name}."),
    };

    private static ProblemHttpResult ToProblem(UploadRefused refused) =>
        Problems.Create(StatusOf(refused.Reason), refused.Title, refused.Detail);

    private static int StatusOf(UploadRefusal reason) => reason switch
    {
        UploadRefusal.Invalid => StatusCodes.Status400BadRequest,
        UploadRefusal.UnknownDataset => StatusCodes.Status404NotFound,
        UploadRefusal.TooLarge => StatusCodes.Status413PayloadTooLarge,
        UploadRefusal.InsufficientStorage => StatusCodes.Status507InsufficientStorage,
        _ => throw new UnreachableException($"Unexpected upload refusal {reason}."),
    };

    private static async Task<Results<Ok<UploadView>, ProblemHttpResult>> GetUpload(string id, IUploadLedger ledger, HttpContext http, CancellationToken ct)
    {
        var record = UploadIds.IsValid(id) ? await ledger.GetAsync(id, ct) : null;
        return record is null
            ? Problems.Create(StatusCodes.Status404NotFound, "Unknown upload", $"There is no upload '{id}'. Upload ids are the 32 hex digits returned by POST /upload.")
            : TypedResults.Ok(View(record, http));
    }

    /// <summary>The view of an upload; a stored internal error is logged under the trace id the client is shown, never sent.</summary>
    private static UploadView View(UploadRecord record, HttpContext http, bool duplicate = false)
    {
        if (record.Error is not { } stored) return UploadView.From(record, duplicate);
        var traceId = UploadFailureText.TraceIdFor(stored, TarmacTracing.TraceIdOf(record.TraceParent), http);
        if (UploadFailureText.HasDetail(stored))
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IngestEndpoints).FullName!);
            LogFailureDetail(logger, record.UploadId, traceId, LogText.Escape(stored, 2000));
        }
        return UploadView.From(record, duplicate, traceId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload {upload_id} failed internally (trace {trace_id}): {detail}")]
    private static partial void LogFailureDetail(ILogger logger, string upload_id, string trace_id, string detail);
}
