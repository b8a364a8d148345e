using System.IO.Compression;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Tarmac.ServiceDefaults;

namespace Tarmac.Ingest;

/// <summary>
/// The CSV bytes of an upload request: the body itself, or the one file of a multipart form, with gzip removed.
/// Content negotiation is the HTTP side's job, so the upload service only ever sees a plain stream of CSV.
/// </summary>
internal static class CsvRequestBody
{
    private static readonly string[] CsvMediaTypes = ["text/csv", "text/plain", "application/csv"];

    /// <summary>Whether the client declared a <c>Content-Encoding</c>: then <c>Content-Length</c> is not the CSV's length.</summary>
    public static bool IsCompressed(HttpRequest request) => request.Headers.ContentEncoding.Count > 0;

    /// <summary>
    /// Opens the CSV of <paramref name="request"/>, or says why it cannot: a 415 for a type or encoding that is not CSV,
    /// a 400 for a form without a boundary or without a file. For a form this reads the body up to the file part.
    /// </summary>
    public static async Task<(Stream? Csv, string? FileName, ProblemHttpResult? Problem)> OpenAsync(HttpRequest request, CancellationToken ct)
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
