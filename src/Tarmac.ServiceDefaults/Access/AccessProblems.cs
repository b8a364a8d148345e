using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>The 401, 403 and 429 answers of the access checks, as problem+json saying what to fix.</summary>
internal static class AccessProblems
{
    public static Task UnauthorizedAsync(HttpContext http, string why)
    {
        // RFC 6750 §3: the challenge names the scheme and the error; the description carries no token material.
        http.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{why.Replace('"', '\'')}\"";
        return Write(http, StatusCodes.Status401Unauthorized, "Token missing or invalid",
            $"This API needs a valid Tarmac token in Authorization: Bearer <token>: {why}. Tokens in query strings are never accepted.", null);
    }

    public static Task ForbiddenAsync(HttpContext http, string title, string detail, string missing) =>
        Write(http, StatusCodes.Status403Forbidden, title, detail, new Dictionary<string, object?> { ["missing"] = missing });

    public static Task TooManyAsync(HttpContext http, RateDecision rate)
    {
        http.Response.Headers.RetryAfter = rate.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var what = rate.Policy == "uploads-daily" ? $"its daily quota of {rate.Quota} uploads" : $"its rate ({rate.Policy}: {rate.Quota} per {rate.WindowSeconds} s)";
        return Write(http, StatusCodes.Status429TooManyRequests, "Rate limit exceeded",
            $"This consumer has used {what}. Retry after {rate.RetryAfterSeconds} s.", new Dictionary<string, object?> { ["policy"] = rate.Policy });
    }

    public static Task Write(HttpContext http, int status, string title, string detail, IDictionary<string, object?>? extensions) =>
        Problems.Create(status, title, detail, extensions).ExecuteAsync(http);
}
