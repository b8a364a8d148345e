using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Tarmac.GoogleCloud.Push;

/// <summary>What a push token check concluded.</summary>
public enum PushAuthResult
{
    /// <summary>A Google-signed token for our audience from the push service account.</summary>
    Valid,
    /// <summary>No token, or not a valid one for us (signature, issuer, audience, expiry): 401.</summary>
    Unauthenticated,
    /// <summary>A valid token of another identity, or an unverified email: 403.</summary>
    Forbidden,
}

/// <summary>
/// Verifies the OIDC token Pub/Sub (or Cloud Scheduler) puts on each call: issued by Google, for the configured
/// audience, not expired, with <c>email</c> = the push service account and <c>email_verified</c>.
/// </summary>
/// <remarks>
/// A private Cloud Run service checks the token itself (IAM invoker) and then replaces its signature with
/// <c>SIGNATURE_REMOVED_BY_GOOGLE</c> before the request reaches the container
/// (https://cloud.google.com/run/docs/troubleshooting, "the signature of the token was removed"). Such a token cannot be
/// verified again, and needs not be: only a caller Cloud Run authenticated gets that far. So, while
/// <see cref="GoogleCloudOptions.PushBehindCloudRunIam"/> says Cloud Run guards the service, a stripped token is checked on
/// its claims alone; any other token must carry a valid signature by a key from the JWKS URL. Keys are cached for an hour
/// and re-read (at most once a minute) when a token names an unknown key.
/// </remarks>
public sealed partial class PushTokenValidator(HttpClient http, GoogleCloudOptions options, TimeProvider time, ILogger<PushTokenValidator> logger) : IDisposable
{
    /// <summary>What Cloud Run puts in place of the signature of a token it verified.</summary>
    public const string SignatureRemoved = "SIGNATURE_REMOVED_BY_GOOGLE";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private JsonWebKeySet? _keys;
    private DateTimeOffset _keysReadAt = DateTimeOffset.MinValue;

    /// <summary>Checks the bearer token of a push request.</summary>
    public async Task<PushAuthResult> ValidateAsync(string? authorization, CancellationToken ct)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return PushAuthResult.Unauthenticated;
        var token = authorization["Bearer ".Length..].Trim();
        if (!_handler.CanReadToken(token)) return PushAuthResult.Unauthenticated;

        JsonWebToken parsed;
        try { parsed = _handler.ReadJsonWebToken(token); }
        catch (ArgumentException) { return PushAuthResult.Unauthenticated; } // SecurityTokenMalformedException derives from it

        var stripped = token.EndsWith("." + SignatureRemoved, StringComparison.Ordinal);
        if (stripped && !options.PushBehindCloudRunIam)
        {
            LogRejected(logger, "signature removed, but this service is not behind Cloud Run IAM");
            return PushAuthResult.Unauthenticated;
        }
        var parameters = new TokenValidationParameters
        {
            ValidIssuers = GoogleCloudOptions.GoogleIssuers,
            ValidAudience = options.PushAudience,
            RequireSignedTokens = !stripped,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } e && e.ToUniversalTime() + p.ClockSkew >= time.GetUtcNow().UtcDateTime
                && (notBefore is not { } nb || nb.ToUniversalTime() - p.ClockSkew <= time.GetUtcNow().UtcDateTime),
        };
        if (stripped)
        {
            // Cloud Run verified this signature; what is left to check is that the token was meant for us.
            parameters.SignatureValidator = (_, _) => parsed;
        }
        else
        {
            var keys = await KeysAsync(forceRefresh: false, ct);
            if (parsed.Kid is { } kid && keys.Keys.All(k => k.KeyId != kid)) keys = await KeysAsync(forceRefresh: true, ct);
            parameters.IssuerSigningKeys = keys.GetSigningKeys();
        }

        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            LogRejected(logger, result.Exception?.GetType().Name ?? "invalid");
            return PushAuthResult.Unauthenticated;
        }
        var identity = result.ClaimsIdentity;
        var email = identity.FindFirst("email")?.Value;
        var verified = identity.FindFirst("email_verified")?.Value;
        if (!string.Equals(email, options.PushServiceAccount, StringComparison.OrdinalIgnoreCase) || !string.Equals(verified, "true", StringComparison.OrdinalIgnoreCase))
        {
            LogForbidden(logger, email ?? "(none)");
            return PushAuthResult.Forbidden;
        }
        return PushAuthResult.Valid;
    }

    private async Task<JsonWebKeySet> KeysAsync(bool forceRefresh, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var age = now - _keysReadAt;
        if (_keys is not null && (forceRefresh ? age < TimeSpan.FromMinutes(1) : age < TimeSpan.FromHours(1))) return _keys;
        await _refresh.WaitAsync(ct);
        try
        {
            if (_keys is not null && now - _keysReadAt < TimeSpan.FromMinutes(1)) return _keys;
            var json = await http.GetStringAsync(options.PushJwksUrl, ct);
            _keys = new JsonWebKeySet(json);
            _keysReadAt = now;
            return _keys;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push token refused: {reason}")]
    private static partial void LogRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push token of {email} refused: not the push service account, or email not verified")]
    private static partial void LogForbidden(ILogger logger, string email);
}
