using System.IO.Compression;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.ServiceDefaults;

namespace Tarmac.Ingest;

/// <summary>The ingest function's routes.</summary>
public static class IngestEndpoints
{
    /// <summary>The dataset <c>POST /upload</c> writes to (the seed's path).</summary>
    public const string DefaultDataset = "flights";

    private static readonly string[] CsvMediaTypes = ["text/csv", "text/plain", "application/csv"];

    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapPost("/upload", UploadDefault).WithName("UploadFlights").WithTags("Uploads")
            .WithSummary("Upload a flights CSV file").WithDescription(UploadDescription).WithUploadProblems().DisableAntiforgery();
        app.MapPost("/datasets/{name}/upload", UploadToDataset).WithName("UploadToDataset").WithTags("Uploads")
            .WithSummary("Upload a CSV file to a dataset").WithDescription(UploadDescription).WithUploadProblems()
            .ProducesProblem(StatusCodes.Status404NotFound).DisableAntiforgery();
        app.MapGet("/uploads/{id}", GetUpload).WithName("GetUpload").WithTags("Uploads")
            .WithSummary("Status, row counts and row errors of an upload").ProducesProblem(StatusCodes.Status404NotFound);
        app.MapSignedUploads();
        return app;
    }

    private const string UploadDescription =
        "The CSV as the body (Content-Type: text/csv, optionally Content-Encoding: gzip) or as one file of a multipart/form-data form. " +
        "Answers 200 with the upload id once stored; with wait=true, waits for the load and answers with its outcome (202 if it takes longer).";

    private static RouteHandlerBuilder WithUploadProblems(this RouteHandlerBuilder b) => b
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> UploadDefault(
        HttpContext http, [FromQuery] bool? wait, UploadService uploads, CancellationToken ct) =>
        uploads.AcceptAsync(http, DefaultDataset, wait ?? false, ct);

    private static Task<Results<Ok<UploadView>, Accepted<UploadView>, ProblemHttpResult>> UploadToDataset(
        HttpContext http, string name, [FromQuery] bool? wait, UploadService uploads, CancellationToken ct) =>
        uploads.AcceptAsync(http, name, wait ?? false, ct);

    private static async Task<Results<Ok<UploadView>, ProblemHttpResult>> GetUpload(string id, IUploadLedger ledger, CancellationToken ct)
    {
        var record = UploadIds.IsValid(id) ? await ledger.GetAsync(id, ct) : null;
        return record is null
            ? Problems.Create(StatusCodes.Status404NotFound, "Unknown upload", $"There is no upload '{id}'. Upload ids are the 32 hex digits returned by POST /upload.")
            : TypedResults.Ok(UploadView.From(record));
    }

    /// <summary>Opens the CSV bytes of the request: the body itself, or the one file of a multipart form; gzip removed.</summary>
    internal static async Task<(Stream? Body, string? FileName, ProblemHttpResult? Problem)> OpenCsvAsync(HttpRequest request, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
            return (null, null, UnsupportedType(request.ContentType));
        Stream body = request.Body;
        if (request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            if (!encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
                return (null, null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported Content-Encoding",
                    $"Content-Encoding '{encoding}' is not supported. Send the CSV uncompressed or with Content-Encoding: gzip."));
            body = new GZipStream(body, CompressionMode.Decompress, leaveOpen: true);
        }
        var type = mediaType.MediaType.Value ?? "";
        if (CsvMediaTypes.Contains(type, StringComparer.OrdinalIgnoreCase)) return (body, null, null);
        if (!type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)) return (null, null, UnsupportedType(type));

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
            return (null, null, Problems.Create(StatusCodes.Status400BadRequest, "Malformed multipart body", "The multipart/form-data Content-Type has no boundary."));
        var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 16 * 1024 };
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition()) continue;
            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            return (section.Body, Path.GetFileName(fileName), null);
        }
        return (null, null, Problems.Create(StatusCodes.Status400BadRequest, "No file in the form",
            "The multipart/form-data body has no file part. Send the CSV as a file field, e.g. curl -F file=@flights.csv."));
    }

    private static ProblemHttpResult UnsupportedType(string? type) =>
        Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported Content-Type",
            $"Content-Type '{type}' is not accepted. Send the CSV as the body with Content-Type: text/csv (or text/plain), or as one file in multipart/form-data.");
}
