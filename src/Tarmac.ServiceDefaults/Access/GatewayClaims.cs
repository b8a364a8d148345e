using System.Buffers.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// The caller on Google Cloud. API Gateway checks the JWT (signature, issuer, audience, expiry) and forwards its payload,
/// base64url-encoded, in <c>X-Apigateway-Api-Userinfo</c>
/// (https://cloud.google.com/api-gateway/docs/authenticating-users-jwt, "Receiving authenticated results in your API").
/// The services are reachable only through the gateway (Cloud Run IAM: only the gateway's identity may invoke them), so the
/// header cannot be forged from outside; what it proves is only that *some* issuer the gateway accepts signed the token.
/// Hence the claims are checked again here: a Tarmac token must have Tarmac's issuer and audience and be unexpired; a
/// Google-signed ID token (which any service account in any project can mint for any audience) is accepted only for
/// the listed principals.
/// </summary>
public static class GatewayClaims
{
    /// <summary>The header API Gateway forwards the verified claims in.</summary>
    public const string HeaderName = "X-Apigateway-Api-Userinfo";

    private static readonly HashSet<string> GoogleIssuers = ["https://accounts.google.com", "accounts.google.com"];

    /// <summary>The caller the forwarded claims name, or null with the reason they are refused.</summary>
    public static Caller? Read(HttpRequest request, AccessOptions options, DateTimeOffset now, out string? refusal)
    {
        var header = request.Headers[HeaderName].ToString();
        if (header.Length == 0)
        {
            refusal = "no token was presented";
            return null;
        }
        try
        {
            var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(header.TrimEnd('='))).RootElement;
            return Check(claims, options, now, out refusal);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            refusal = "the forwarded claims are not a token payload";
            return null;
        }
    }

    /// <summary>Checks one token payload (a JSON object) against the settings.</summary>
    public static Caller? Check(JsonElement claims, AccessOptions options, DateTimeOffset now, out string? refusal)
    {
        refusal = null;
        var iss = claims.TryGetProperty("iss", out var i) ? i.GetString() : null;
        if (!claims.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number || exp.GetInt64() <= now.ToUnixTimeSeconds())
        {
            refusal = "the token has expired";
            return null;
        }
        if (iss == options.Issuer)
        {
            if (!HasAudience(claims, options.Audience))
            {
                refusal = $"the token is not for audience '{options.Audience}'";
                return null;
            }
            return Caller.FromClaims(claims);
        }
        if (iss is not null && GoogleIssuers.Contains(iss))
        {
            var email = claims.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            var verified = claims.TryGetProperty("email_verified", out var v) && v.ValueKind == JsonValueKind.True;
            if (email is null || !verified || !options.Principals.Contains(email))
            {
                refusal = $"the Google identity '{email ?? "(no email)"}' is not an allowed principal";
                return null;
            }
            return new Caller(email, new HashSet<string>(Scopes.All), null, new Dictionary<string, IReadOnlyList<string>>(), null);
        }
        refusal = $"the issuer '{iss}' is not accepted";
        return null;
    }

    private static bool HasAudience(JsonElement claims, string audience) =>
        claims.TryGetProperty("aud", out var aud) && aud.ValueKind switch
        {
            JsonValueKind.String => aud.GetString() == audience,
            JsonValueKind.Array => aud.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == audience),
            _ => false,
        };
}
