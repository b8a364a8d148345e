using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>Mints Google-style OIDC push tokens with a test RSA key, and publishes the key as a JWKS.</summary>
public sealed class PushTokens : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;

    public PushTokens(string keyId = "test-key-1")
    {
        _key = new RsaSecurityKey(_rsa) { KeyId = keyId };
    }

    /// <summary>{"keys":[…]} with the public half of the key.</summary>
    public string Jwks
    {
        get
        {
            var p = _rsa.ExportParameters(false);
            return $$"""{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"{{_key.KeyId}}","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","e":"{{Base64UrlEncoder.Encode(p.Exponent)}}"}]}""";
        }
    }

    public string Mint(string issuer = "https://accounts.google.com", string audience = GcpFunctionHost.Audience,
        string email = GcpFunctionHost.PushAccount, bool emailVerified = true, TimeSpan? expiresIn = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromHours(1));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            Claims = new Dictionary<string, object> { ["email"] = email, ["email_verified"] = emailVerified, ["sub"] = "1234567890" },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>
    /// The token as a private Cloud Run service hands it to the container after its IAM check: the signature replaced by
    /// <c>SIGNATURE_REMOVED_BY_GOOGLE</c> (https://cloud.google.com/run/docs/troubleshooting).
    /// </summary>
    public static string Stripped(string token) => token[..(token.LastIndexOf('.') + 1)] + "SIGNATURE_REMOVED_BY_GOOGLE";

    public void Dispose() => _rsa.Dispose();
}
