using System.IO.Compression;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Tarmac.Core.Uploads;
using Tarmac.ServiceDefaults;

namespace Tarmac.Ingest;

/// <summary>
/// The JSON bytes of an events request and their format from its Content-Type: <c>application/json</c> (one object or an
/// array of objects) or <c>application/x-ndjson</c> (one object per line), with gzip removed. Only UTF-8 is accepted.
/// </summary>
internal static class JsonRequestBody
{
    /// <summary>The media type of one object or an array of objects.</summary>
    public const string JsonType = "application/json";

    /// <summary>The media type of newline-delimited JSON.</summary>
    public const string NdjsonType = "application/x-ndjson";

    /// <summary>Opens the JSON of <paramref name="request"/>, or says why it cannot: a 415 for another type, charset or encoding.</summary>
    public static (Stream? Body, UploadFormat Format, ProblemHttpResult? Problem) Open(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)) return (null, default, UnsupportedType(request.ContentType));
        var type = mediaType.MediaType.Value ?? "";
        UploadFormat format;
        if (type.Equals(JsonType, StringComparison.OrdinalIgnoreCase)) format = UploadFormat.Json;
        else if (type.Equals(NdjsonType, StringComparison.OrdinalIgnoreCase)) format = UploadFormat.Ndjson;
        else return (null, default, UnsupportedType(type));
        if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            return (null, default, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported charset",
                $"charset '{mediaType.Charset}' is not accepted: JSON is UTF-8 (RFC 8259). Send UTF-8 and drop the charset or say charset=utf-8."));
        Stream body = request.Body;
        if (request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            if (!encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
                return (null, default, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported Content-Encoding",
                    $"Content-Encoding '{encoding}' is not supported. Send the JSON uncompressed or with Content-Encoding: gzip."));
            body = new GZipStream(body, CompressionMode.Decompress, leaveOpen: true);
        }
        return (body, format, null);
    }

    private static ProblemHttpResult UnsupportedType(string? type) =>
        Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported Content-Type",
            $"Content-Type '{type}' is not accepted here. Send one JSON object or an array of objects as {JsonType}, or one object per line as {NdjsonType}. " +
            "CSV files go to the upload routes.");
}
