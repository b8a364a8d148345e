using Google.Cloud.Storage.V1;

namespace Tarmac.GoogleCloud.Signing;

/// <summary>A signed request that starts a resumable upload session directly into the bucket.</summary>
/// <param name="Url">V4 signed URL.</param>
/// <param name="Method">HTTP method to call it with (POST).</param>
/// <param name="Headers">Headers the call must send exactly as given (they are part of the signature).</param>
/// <param name="ExpiresAt">When the URL stops working.</param>
public sealed record SignedUpload(string Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>
/// Signs V4 URLs that start a resumable upload (<c>x-goog-resumable: start</c>) of one new object, create-only
/// (<c>x-goog-if-generation-match: 0</c>), so a large file goes straight to the bucket instead of through ingest.
/// </summary>
public sealed class ResumableUploadSigner(UrlSigner signer, string bucket, GoogleCloudOptions options, TimeProvider time)
{
    /// <summary>Signs the start of an upload of <paramref name="objectName"/> with the given object metadata.</summary>
    public async Task<SignedUpload> SignAsync(string objectName, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = "text/csv",
            ["x-goog-if-generation-match"] = "0",
            ["x-goog-resumable"] = "start",
        };
        foreach (var (k, v) in metadata) headers[$"x-goog-meta-{k}"] = v;

        var template = UrlSigner.RequestTemplate.FromBucket(bucket).WithObjectName(objectName).WithHttpMethod(HttpMethod.Post)
            .WithRequestHeaders(headers.Where(h => h.Key != "content-type").ToDictionary(h => h.Key, h => (IEnumerable<string>)[h.Value]))
            .WithContentHeaders(new Dictionary<string, IEnumerable<string>> { ["Content-Type"] = [headers["content-type"]] });
        var duration = TimeSpan.FromMinutes(Math.Clamp(options.SignedUrlMinutes, 1, 7 * 24 * 60));
        var expiresAt = time.GetUtcNow() + duration;
        var signOptions = UrlSigner.Options.FromExpiration(expiresAt).WithSigningVersion(SigningVersion.V4);
        if (options.StorageEmulatorUri is { } emulator)
            signOptions = signOptions.WithScheme(emulator.Scheme).WithHost(emulator.Host).WithPort(emulator.Port);
        var url = await signer.SignAsync(template, signOptions, ct);
        return new SignedUpload(url, "POST", headers, expiresAt);
    }
}
