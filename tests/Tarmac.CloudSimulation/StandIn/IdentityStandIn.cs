using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// Google's OIDC issuer and IAM Credentials <c>signBlob</c>, with one RSA key.
/// <para>
/// ID tokens are what Pub/Sub push and Cloud Scheduler attach for an authenticated push / OIDC target: RS256, issuer
/// <c>https://accounts.google.com</c>, <c>aud</c> = the configured audience, <c>email</c> and <c>email_verified</c> of the
/// service account, <c>exp</c> one hour on (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions).
/// Cloud Run checks such a token itself when the service requires IAM invoker, and then hands the request to the
/// container with the signature replaced by <c>SIGNATURE_REMOVED_BY_GOOGLE</c> (https://cloud.google.com/run/docs/troubleshooting);
/// <see cref="Strip"/> does that.
/// </para>
/// </summary>
public sealed class IdentityStandIn : IDisposable
{
    /// <summary>What Cloud Run puts in place of the signature of a token it verified.</summary>
    public const string RemovedSignature = "SIGNATURE_REMOVED_BY_GOOGLE";

    public const string Issuer = "https://accounts.google.com";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;

    public IdentityStandIn(string keyId = "sim-key-1")
    {
        _key = new RsaSecurityKey(_rsa) { KeyId = keyId };
    }

    /// <summary>{"keys":[…]}: the public half of the signing key, as https://www.googleapis.com/oauth2/v3/certs serves Google's.</summary>
    public string Jwks
    {
        get
        {
            var p = _rsa.ExportParameters(false);
            return $$"""{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"{{_key.KeyId}}","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","e":"{{Base64UrlEncoder.Encode(p.Exponent)}}"}]}""";
        }
    }

    /// <summary>A signed Google-style ID token.</summary>
    public string Mint(string audience, string email, bool emailVerified = true, TimeSpan? expiresIn = null, string issuer = Issuer)
    {
        var expires = DateTime.UtcNow + (expiresIn ?? TimeSpan.FromHours(1));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            Claims = new Dictionary<string, object> { ["email"] = email, ["email_verified"] = emailVerified, ["sub"] = "1" + Math.Abs(email.GetHashCode(StringComparison.Ordinal)), ["azp"] = "1" },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The token as the container behind Cloud Run IAM sees it: header and payload intact, signature removed.</summary>
    public static string Strip(string token) => token[..(token.LastIndexOf('.') + 1)] + RemovedSignature;

    /// <summary>Checks a signature made by <see cref="SignBlobAsync"/> (PKCS#1 v1.5 over SHA-256, the service account key's algorithm).</summary>
    public bool Verify(byte[] payload, byte[] signature) => _rsa.VerifyData(payload, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>
    /// <c>projects/-/serviceAccounts/{email}:signBlob</c>: signs the base64 <c>payload</c> with the account's key and answers
    /// <c>{keyId, signedBlob}</c> (https://cloud.google.com/iam/help/rest-credentials/v1/projects.serviceAccounts/signBlob).
    /// </summary>
    internal Task SignBlobAsync(StandInRequest r)
    {
        if (r.Json?["payload"]?.GetValue<string>() is not { } payload)
            return Problem.Write(r.Context, 400, "invalidArgument", "signBlob needs a base64 payload.");
        var signature = _rsa.SignData(Convert.FromBase64String(payload), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return Problem.Json(r.Context, 200, new JsonObject { ["keyId"] = _key.KeyId, ["signedBlob"] = Convert.ToBase64String(signature) });
    }

    public void Dispose() => _rsa.Dispose();
}
