using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Local.Status;

/// <summary>
/// The live status page at <c>/</c> and its data at <c>/status/summary</c>: the last hour of uploads, rows, POST latency,
/// 5xx and freshness, measured in this process. Admin scope when auth is on.
/// </summary>
public static class StatusPage
{
    /// <summary>Path of the page's JSON.</summary>
    public const string SummaryPath = "/status/summary";

    // The page runs only its own files: scripts, styles and fetches from this origin, no inline code, no frames, no forms.
    private const string PagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Registers the one-hour window, the listener that feeds it and the summary builder.</summary>
    public static IServiceCollection AddStatusPage(this IServiceCollection services)
    {
        services.AddSingleton<StatusWindow>();
        services.AddSingleton<StatusSummaryBuilder>();
        services.AddHostedService<StatusFeed>();
        return services;
    }

    /// <summary>Maps <c>/</c>, <c>/status/summary</c> and the page's styles and scripts.</summary>
    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder app)
    {
        var status = app.MapGroup("").WithTags("Status").RequireAccess(Scopes.Admin);
        status.MapGet("/", (HttpContext http) => Asset(http, StatusAssets.Html, "text/html; charset=utf-8")).WithName("StatusPage")
            .WithSummary("The live status page (HTML): the last hour of uploads, rows, latency, 5xx and freshness")
            .Produces<string>(StatusCodes.Status200OK, "text/html");
        status.MapGet(SummaryPath, Summary).WithName("StatusSummary")
            .WithSummary("The last hour of this host, per minute: what the status page draws")
            .WithDescription("Requests and 5xx, upload POSTs with p50/p95 latency, the service level objectives with their burn rates, " +
                "uploads and rows per dataset with freshness, and the 20 most recent uploads. Counted in this process since it started; one-minute buckets.");
        status.MapGet("/status/" + StatusAssets.Css, (HttpContext http) => Asset(http, StatusAssets.Css, "text/css; charset=utf-8")).ExcludeFromDescription();
        status.MapGet("/status/" + StatusAssets.ChartScript, (HttpContext http) => Asset(http, StatusAssets.ChartScript, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        status.MapGet("/status/" + StatusAssets.PageScript, (HttpContext http) => Asset(http, StatusAssets.PageScript, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        return app;
    }

    private static async Task<Ok<StatusSummary>> Summary(StatusSummaryBuilder builder, HttpContext http, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await builder.BuildAsync(ct));
    }

    private static FileContentHttpResult Asset(HttpContext http, string name, string contentType)
    {
        http.Response.Headers.ContentSecurityPolicy = PagePolicy;
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(StatusAssets.Get(name), contentType);
    }
}
