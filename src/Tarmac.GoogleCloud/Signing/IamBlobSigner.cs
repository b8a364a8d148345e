using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Google.Cloud.Storage.V1;

namespace Tarmac.GoogleCloud.Signing;

/// <summary>
/// Signs URL payloads with a service account's Google-managed key through the IAM Credentials API
/// (<c>signBlob</c>): no key file exists anywhere. The caller needs <c>iam.serviceAccountTokenCreator</c> on it.
/// </summary>
public sealed class IamBlobSigner(HttpClient iam, string serviceAccountEmail) : UrlSigner.IBlobSigner
{
    /// <inheritdoc />
    public string Id => serviceAccountEmail;

    /// <inheritdoc />
    public string Algorithm => "GOOG4-RSA-SHA256";

    /// <inheritdoc />
    public string CreateSignature(byte[] data, UrlSigner.BlobSignerParameters parameters) =>
        CreateSignatureAsync(data, parameters, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<string> CreateSignatureAsync(byte[] data, UrlSigner.BlobSignerParameters parameters, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["payload"] = Convert.ToBase64String(data) };
        using var response = await iam.PostAsJsonAsync($"projects/-/serviceAccounts/{Uri.EscapeDataString(serviceAccountEmail)}:signBlob", body, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"IAM signBlob for {serviceAccountEmail} answered HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}", null, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken);
        return answer?["signedBlob"]?.GetValue<string>() ?? throw new HttpRequestException("IAM signBlob answered without signedBlob.");
    }
}
