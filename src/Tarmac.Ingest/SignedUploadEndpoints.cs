using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.Signing;
using Tarmac.ServiceDefaults;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Ingest;

/// <summary>
/// <c>POST /uploads</c>: how to send a file too large for a direct POST. On Google Cloud the answer is a signed
/// resumable-upload URL straight into the bucket (the object notification then processes it like any other);
/// locally it points to the direct upload route, which has no such limit.
/// </summary>
public static class SignedUploadEndpoints
{
    /// <summary>Largest object a single upload to Cloud Storage may be (5 TiB).</summary>
    public const long MaxObjectBytes = 5L << 40;

    /// <summary>Largest JSON body <c>POST /uploads</c> reads (16 KiB: a dataset name, a size and a file name).</summary>
    public const long MaxRequestBytes = 16 << 10;

    /// <summary>Maps <c>POST /uploads</c> into the ingest routes' group, whose tag and antiforgery setting it shares.</summary>
    internal static RouteGroupBuilder MapSignedUploads(this RouteGroupBuilder uploads)
    {
        // Kestrel's own body limit is off for the streamed CSV routes; this small JSON body gets one again, or a client
        // could make the JSON binder buffer gigabytes. Over it: 413 (a problem body, from the status code pages).
        uploads.MapPost("/uploads", CreateUpload).WithName("CreateUpload").RequireAccess(Scopes.Upload).RecordsUploadOwner()
            .WithSummary("Get a URL to upload a large file directly")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxRequestBytes))
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return uploads;
    }

    private static async Task<Results<Ok<UploadTicket>, ProblemHttpResult>> CreateUpload(
        UploadRequest? request, HttpContext http, SchemaCatalog catalog, TarmacOptions options, TimeProvider time, IServiceProvider services, CancellationToken ct)
    {
        if (request?.Dataset is not { Length: > 0 } name)
            return Problems.BadParameter("dataset", $"Name the dataset the file is for, e.g. {{\"dataset\": \"flights\"}}. Known datasets: {catalog.NameList}.", catalog.Datasets.Select(d => d.Name));
        if (!catalog.TryGet(name, out var dataset)) return Problems.UnknownDataset(name, catalog.NameList);
        if (!http.Caller().MayUse(dataset.Name)) return Problems.Create(StatusCodes.Status403Forbidden, $"Missing dataset '{dataset.Name}'", $"This token does not grant dataset '{dataset.Name}'.");
        if (request.Bytes is < 1 or > MaxObjectBytes)
            return Problems.BadParameter("bytes", $"bytes must be between 1 and {MaxObjectBytes} (5 TiB), or left out.");
        var fileName = request.FileName is { Length: > 0 } f ? Path.GetFileName(f) : null;
        if (fileName is not null && (fileName.Length > 200 || fileName.Any(c => c < 0x20 || c > 0x7E)))
            return Problems.BadParameter("file_name", "file_name must be at most 200 printable ASCII characters (it travels in a signed header).");

        var signer = services.GetService<ResumableUploadSigner>();
        if (signer is null)
        {
            // Local backend: the direct upload route streams files up to its limit, and there is no resumable route
            // beyond it; a ticket that pointed a larger file at that route would only earn a 413 after the upload.
            var limit = options.EffectiveMaxUploadBytes;
            if (request.Bytes > limit)
                return Problems.Create(StatusCodes.Status413PayloadTooLarge, "File too large for this host",
                    $"This host takes files of up to {limit} bytes on its upload route (TARMAC_MAX_UPLOAD_BYTES) and has no resumable route " +
                    "beyond it. Raise the limit or split the file.", new Dictionary<string, object?> { ["limit_bytes"] = limit });
            // From configuration, never from the request's Host header, which a client (or a rebinding page) chooses.
            var direct = $"{PublicBaseUrl(http)}/datasets/{dataset.Name}/upload";
            return TypedResults.Ok(new UploadTicket(null, null, direct, "POST",
                new Dictionary<string, string> { ["content-type"] = "text/csv" }, null, null));
        }

        var uploadId = UploadIds.New();
        var objectName = UploadIds.ObjectName(dataset.Name, uploadId, time.GetUtcNow());
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [RawObjectMetadata.UploadId] = uploadId, [RawObjectMetadata.Dataset] = dataset.Name };
        if (fileName is not null) metadata[RawObjectMetadata.FileName] = fileName;
        // The ticket request's trace context is signed into the object's metadata (x-goog-meta-traceparent): the upload
        // that follows is one trace with this request, though the bytes go straight to Cloud Storage.
        if (TarmacTracing.CurrentTraceParent() is { } traceParent) metadata[TarmacTracing.MetadataKey] = traceParent;
        var signed = await signer.SignAsync(objectName, metadata, ct);
        return TypedResults.Ok(new UploadTicket(uploadId, objectName, signed.Url, signed.Method, signed.Headers, signed.ExpiresAt, $"/uploads/{uploadId}"));
    }

    /// <summary><c>TARMAC_PUBLIC_BASE_URL</c>, else the address the host itself listens on.</summary>
    private static string PublicBaseUrl(HttpContext http) =>
        http.RequestServices.GetRequiredService<AccessOptions>().PublicBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : http.RequestServices.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.TrimEnd('/') ?? "http://127.0.0.1:8080";
}
