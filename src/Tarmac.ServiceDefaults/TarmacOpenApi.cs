using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Tarmac.ServiceDefaults;

/// <summary>The OpenAPI 3 document at <c>/openapi.json</c> and the browsable reference at <c>/docs</c>, on every host.</summary>
public static class TarmacOpenApi
{
    public const string DocumentPath = "/openapi.json";
    public const string DocsPath = "/docs";

    /// <summary>Registers the document generator with Tarmac's title and description.</summary>
    public static IServiceCollection AddTarmacOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info = new OpenApiInfo
            {
                Title = "Tarmac",
                Version = "1",
                Description = "Flight-record CSV uploads in, rows and aggregates out. Every error is an RFC 9457 application/problem+json " +
                    "document; a bad query parameter's problem names it (`parameter`) and lists what is allowed (`allowed`).",
            };
            // With TARMAC_AUTH=on every operation but health and the JWKS needs a Tarmac token (docs/security.md).
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A Tarmac token (`token` command) when TARMAC_AUTH=on; scopes upload, read, status, admin.",
            };
            doc.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, doc)] = [] }];
            return Task.CompletedTask;
        }));

    private const string BearerScheme = "bearer";

    /// <summary>Maps <c>/openapi.json</c>, <c>/docs</c>, and the documented <c>/healthz</c> and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapTarmacOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(DocumentPath);
        app.MapScalarApiReference(DocsPath, o => o.WithTitle("Tarmac API").WithOpenApiRoutePattern(DocumentPath));
        return app;
    }

    /// <summary>Health (the process answers) and readiness (its backend answers), as documented operations.</summary>
    internal static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("Healthy")).WithName("Health").WithTags("Health").AllowAnonymous()
            .WithSummary("Liveness: 200 while the process answers");
        app.MapGet("/readyz", Ready).WithName("Ready").WithTags("Health").AllowAnonymous()
            .WithSummary("Readiness: 200 when the warehouse answers, else 503")
            .Produces<string>(StatusCodes.Status200OK, "text/plain").Produces<string>(StatusCodes.Status503ServiceUnavailable, "text/plain");
        return app;
    }

    private static async Task<IResult> Ready(HealthCheckService health, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains("ready"), ct);
        return report.Status == HealthStatus.Healthy
            ? TypedResults.Text("Healthy")
            : TypedResults.Text("Unhealthy", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
