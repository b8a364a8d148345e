using Microsoft.Extensions.Configuration;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>Who may call a host and how often, read from <c>TARMAC_*</c> settings.</summary>
public sealed class AccessOptions
{
    /// <summary><c>on</c> or <c>off</c>; unset means off locally (loopback only) and on on Cloud Run.</summary>
    [ConfigurationKeyName("TARMAC_AUTH")]
    public string? Auth { get; set; }

    /// <summary>Issuer (<c>iss</c>) of the tokens this system mints and accepts.</summary>
    [ConfigurationKeyName("TARMAC_TOKEN_ISSUER")]
    public string Issuer { get; set; } = "tarmac";

    /// <summary>Audience (<c>aud</c>) of the tokens this system mints and accepts.</summary>
    [ConfigurationKeyName("TARMAC_TOKEN_AUDIENCE")]
    public string Audience { get; set; } = "tarmac-api";

    /// <summary>Requests per second per consumer when its token names no rate.</summary>
    [ConfigurationKeyName("TARMAC_RATE_LIMIT_RPS")]
    public double RateLimitRps { get; set; } = 50;

    /// <summary>Uploads per second per consumer (a separate bucket from reads).</summary>
    [ConfigurationKeyName("TARMAC_UPLOAD_RATE_LIMIT_RPS")]
    public double UploadRateLimitRps { get; set; } = 5;

    /// <summary>Uploads per consumer per UTC day; 0 for no quota.</summary>
    [ConfigurationKeyName("TARMAC_UPLOAD_DAILY_QUOTA")]
    public long UploadDailyQuota { get; set; } = 10_000;

    /// <summary>Comma-separated origins (<c>https://app.example</c>) allowed to make state-changing requests from a browser.</summary>
    [ConfigurationKeyName("TARMAC_CORS_ORIGINS")]
    public string? CorsOrigins { get; set; }

    /// <summary>Comma-separated host names accepted in <c>Host</c> besides loopback (local host only).</summary>
    [ConfigurationKeyName("TARMAC_ALLOWED_HOSTS")]
    public string? AllowedHosts { get; set; }

    /// <summary>The base URL clients reach this host at (<c>https://api.example</c>), for URLs the API hands out.</summary>
    [ConfigurationKeyName("TARMAC_PUBLIC_BASE_URL")]
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Comma-separated Google service-account emails whose Google-signed ID tokens (forwarded by API Gateway) are
    /// accepted, with every scope: the pipeline's own identity. Any other Google-signed token is refused.
    /// </summary>
    [ConfigurationKeyName("TARMAC_ALLOWED_PRINCIPALS")]
    public string? AllowedPrincipals { get; set; }

    /// <summary>Base64 key (at least 32 bytes) that signs page cursors; locally created in the data folder when unset.</summary>
    [ConfigurationKeyName("TARMAC_CURSOR_KEY")]
    public string? CursorKey { get; set; }

    /// <summary>The local data folder (the signing key lives in its <c>access/</c> folder).</summary>
    [ConfigurationKeyName("TARMAC_DATA_DIR")]
    public string DataDir { get; set; } = "data";

    /// <summary>Whether tokens are required, given where the host runs.</summary>
    public bool Enabled(TarmacHosting hosting) => Auth is { Length: > 0 } a
        ? string.Equals(a, "on", StringComparison.OrdinalIgnoreCase)
        : hosting == TarmacHosting.CloudRun;

    /// <summary>Where the signing keys live.</summary>
    public string KeyFolder => Path.Combine(Path.GetFullPath(DataDir), "access");

    /// <summary>The allowed origins, exact and case-insensitive.</summary>
    public IReadOnlySet<string> Origins => Split(CorsOrigins).Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The allowed non-loopback host names.</summary>
    public IReadOnlySet<string> Hosts => Split(AllowedHosts).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The allowed Google principals.</summary>
    public IReadOnlySet<string> Principals => Split(AllowedPrincipals).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>What is wrong with the settings, one sentence each.</summary>
    public IEnumerable<string> Problems()
    {
        if (Auth is { Length: > 0 } a && a is not ("on" or "off" or "ON" or "OFF" or "On" or "Off"))
            yield return $"TARMAC_AUTH must be 'on' or 'off', not '{a}'.";
        if (RateLimitRps <= 0) yield return "TARMAC_RATE_LIMIT_RPS must be a positive number of requests per second.";
        if (UploadRateLimitRps <= 0) yield return "TARMAC_UPLOAD_RATE_LIMIT_RPS must be a positive number of uploads per second.";
        if (UploadDailyQuota < 0) yield return "TARMAC_UPLOAD_DAILY_QUOTA must be 0 (no quota) or more.";
        if (PublicBaseUrl is { Length: > 0 } u && (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            yield return $"TARMAC_PUBLIC_BASE_URL must be an absolute http(s) URL, not '{u}'.";
        if (CursorKey is { Length: > 0 } k && !IsKey(k)) yield return "TARMAC_CURSOR_KEY must be base64 of at least 32 random bytes.";
    }

    private static bool IsKey(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var n) && n >= 32;
    }

    private static string[] Split(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
