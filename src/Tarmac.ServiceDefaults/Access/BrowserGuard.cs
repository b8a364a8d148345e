using System.Net;
using Microsoft.AspNetCore.Http;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Keeps web pages away from the local host. A page can send a simple cross-site POST (<c>text/plain</c>, no preflight) to
/// 127.0.0.1, and with DNS rebinding read answers back under its own host name; so state-changing requests from an
/// Origin not in <c>TARMAC_CORS_ORIGINS</c> are refused (403), and so is any Host that is not loopback or in
/// <c>TARMAC_ALLOWED_HOSTS</c> (421). Every answer carries the usual security headers.
/// </summary>
internal sealed class BrowserGuard(RequestDelegate next, AccessSettings settings)
{
    private readonly IReadOnlySet<string> _origins = settings.Options.Origins;
    private readonly IReadOnlySet<string> _hosts = settings.Options.Hosts;

    public Task InvokeAsync(HttpContext http)
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        // The API reference page loads its script and styles; everything else is data and needs nothing.
        if (!http.Request.Path.StartsWithSegments(TarmacOpenApi.DocsPath)) headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

        if (settings.Hosting == TarmacHosting.Local && !HostAllowed(http.Request.Host.Host))
            return AccessProblems.Write(http, StatusCodes.Status421MisdirectedRequest, "Host not served here",
                $"This host answers only to loopback names (localhost, 127.0.0.1, [::1]) and TARMAC_ALLOWED_HOSTS, not '{http.Request.Host.Host}'.", null);

        var origin = http.Request.Headers.Origin.ToString();
        var allowed = origin.Length > 0 && _origins.Contains(origin.TrimEnd('/'));
        if (allowed)
        {
            headers.AccessControlAllowOrigin = origin;
            headers.Vary = "Origin";
        }
        // A listed page's preflight is answered here, before the token check: browsers send it without credentials.
        if (allowed && HttpMethods.IsOptions(http.Request.Method) && http.Request.Headers.AccessControlRequestMethod.Count > 0)
        {
            headers.AccessControlAllowMethods = "GET, HEAD, POST";
            headers.AccessControlAllowHeaders = "Authorization, Content-Type, Content-Encoding";
            headers.AccessControlExposeHeaders = "Link, ETag, X-Total-Count, Retry-After, RateLimit, RateLimit-Policy";
            headers.AccessControlMaxAge = "600";
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }
        if (origin.Length > 0 && IsStateChanging(http.Request.Method) && !_origins.Contains(origin.TrimEnd('/')))
            return AccessProblems.Write(http, StatusCodes.Status403Forbidden, "Origin not allowed",
                $"Requests that change state are refused from web pages whose origin is not in TARMAC_CORS_ORIGINS; '{origin}' is not.", null);
        return next(http);
    }

    private bool HostAllowed(string host) =>
        host.Length == 0 ? false
        : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || _hosts.Contains(host)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static bool IsStateChanging(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));
}
