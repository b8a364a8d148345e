using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.ServiceDefaults;

/// <summary>Registration shared by every Tarmac host (each function alone, or all three in Tarmac.Local).</summary>
public static class TarmacDefaults
{
    /// <summary>
    /// Cloud Run refuses HTTP/1 request bodies over 32 MiB (https://cloud.google.com/run/quotas#cloud_run_limits), and so
    /// does API Gateway (https://cloud.google.com/api-gateway/docs/quotas#request_and_response_size_limits), each with its
    /// own bare 413. The direct upload limit there defaults to 30 MiB so that a body near the limit still gets our
    /// problem+json (headers and multipart framing fit in the 2 MiB between); larger files take the signed resumable URL
    /// of <c>POST /uploads</c>.
    /// </summary>
    public const long CloudRunMaxUploadBytes = 30L << 20;

    /// <summary>The front end's own request limit on Google Cloud (Cloud Run and API Gateway).</summary>
    public const long CloudRunMaxRequestBytes = 32L << 20;

    /// <summary>Name of the meter every Tarmac metric is recorded on.</summary>
    public const string MeterName = "Tarmac";

    /// <summary>
    /// What every host needs whatever its backend: options (checked at startup), the listening address (<c>PORT</c>), JSON,
    /// problem details, health checks, logs, metrics, traces and the schema catalog. The host adds its backend explicitly
    /// (<c>AddEmbeddedBackend()</c> or <c>AddGoogleCloudBackend()</c>).
    /// </summary>
    public static WebApplicationBuilder AddTarmacDefaults(this WebApplicationBuilder builder, TarmacHosting hosting)
    {
        builder.Services.AddOptions<TarmacOptions>().Bind(builder.Configuration)
            .PostConfigure(o => o.DefaultMaxUploadBytes = hosting == TarmacHosting.CloudRun ? CloudRunMaxUploadBytes : o.DefaultMaxUploadBytes)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TarmacOptions>, TarmacOptionsValidator>();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<TarmacOptions>>().Value);

        if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["URLS"]))
        {
            var port = builder.Configuration["PORT"] is { Length: > 0 } p ? p : "8080";
            builder.WebHost.UseUrls($"http://{(hosting == TarmacHosting.Local ? "127.0.0.1" : "0.0.0.0")}:{port}");
        }
        // Uploads are streamed and their size is enforced by ingest (after decompression), not by Kestrel's 30 MB default.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);

        builder.Services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ExplainRouting);
        builder.Services.AddHealthChecks().AddCheck<WarehouseReadyCheck>("warehouse", tags: ["ready"]);
        builder.Services.AddTarmacOpenApi();

        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Every call to Cloud Storage, BigQuery or Pub/Sub would otherwise log three Information lines (client, handler,
        // retry attempt): noise, and on Cloud Logging a cost. Failures and retries still log at Warning.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        if (hosting == TarmacHosting.Local)
            builder.Logging.AddConsole(o => o.FormatterName = LocalConsoleFormatter.FormatterName).AddConsoleFormatter<LocalConsoleFormatter, ConsoleFormatterOptions>();
        else
        {
            builder.Logging.AddConsole(o => o.FormatterName = CloudLoggingFormatter.FormatterName).AddConsoleFormatter<CloudLoggingFormatter, CloudLoggingFormatterOptions>();
            builder.Services.Configure<CloudLoggingFormatterOptions>(o => o.ProjectId ??= TraceProject(builder.Configuration));
        }

        builder.Services.AddOpenTelemetry()
            .WithMetrics(m =>
            {
                m.AddMeter(MeterName).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddPrometheusExporter();
                ((IDeferredMeterProviderBuilder)m).Configure((sp, b) => OnlyThisHost(b, sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
            })
            .WithTracing(t => AddTracing(t, builder.Configuration));

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => SchemaCatalog.Load(sp.GetRequiredService<TarmacOptions>().ResolveSchemas()));
        builder.Services.AddSingleton<TarmacMetrics>();
        builder.AddTarmacAccess(hosting);
        return builder;
    }

    /// <summary>
    /// The problems routing answers by itself (no endpoint, or not this method) say what to do instead; every endpoint's own
    /// problems already have a detail and keep it.
    /// </summary>
    private static void ExplainRouting(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Detail is not null) return;
        var request = context.HttpContext.Request;
        var route = $"{request.Method} {request.Path}";
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => $"There is no {route}. The routes are described at /openapi.json (and /docs).",
            StatusCodes.Status405MethodNotAllowed => $"{route} is not a route; this path takes {context.HttpContext.Response.Headers.Allow} " +
                                                     "(the Allow header). The routes are described at /openapi.json (and /docs).",
            _ => null,
        };
    }

    /// <summary>
    /// The SDK listens to meters by name across the process: where several hosts share one (the tests' hosts), each host's
    /// <c>/metrics</c> would sum the others' Tarmac and ASP.NET Core counters into its own. Meters made by this host's
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> are kept, other factories' dropped; meters of no factory (the
    /// runtime's) are the process's and stay.
    /// </summary>
    private static void OnlyThisHost(MeterProviderBuilder metrics, System.Diagnostics.Metrics.IMeterFactory factory) =>
        metrics.AddView(i => i.Meter.Scope is null || ReferenceEquals(i.Meter.Scope, factory) ? null : MetricStreamConfiguration.Drop);

    /// <summary>
    /// Traces are always recorded in process (so every log line inside a request or an upload's processing names its trace
    /// id), sampled parent-based: an incoming <c>traceparent</c> decides, a new root is sampled. They leave the process only
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads it, and <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, from the configuration); unset, there is no exporter at all.
    /// </summary>
    private static void AddTracing(TracerProviderBuilder tracing, ConfigurationManager configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
            tracing.ConfigureResource(r => r.AddService(System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "Tarmac"));
        tracing
            .AddSource(TarmacTracing.SourceName)
            // Probes, scrapes and the status page's refreshes come every few seconds and say nothing about an upload.
            .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsProbe(http.Request.Path))
            .AddHttpClientInstrumentation();
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) tracing.AddOtlpExporter();
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/status");

    /// <summary>The project Cloud Logging's trace field names: <c>TARMAC_GCP_PROJECT</c>, else <c>GOOGLE_CLOUD_PROJECT</c>.</summary>
    private static string? TraceProject(ConfigurationManager configuration) =>
        configuration["TARMAC_GCP_PROJECT"] is { Length: > 0 } project ? project
        : configuration["GOOGLE_CLOUD_PROJECT"] is { Length: > 0 } fallback ? fallback : null;

    /// <summary>The JSON conventions of the API: snake_case names, enums as snake_case strings, timestamps in UTC with Z.</summary>
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DictionaryKeyPolicy = null;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        o.Converters.Add(new UtcTimestampConverter());
    }

    /// <summary>
    /// Health (<c>/healthz</c>: the process answers), readiness (<c>/readyz</c>: its backend answers), <c>/metrics</c>
    /// (admin scope), the API description (<c>/openapi.json</c>, <c>/docs</c>), and the access checks ahead of them all.
    /// </summary>
    public static IEndpointRouteBuilder MapTarmacDefaults(this IEndpointRouteBuilder app)
    {
        if (app is IApplicationBuilder ab)
        {
            ab.UseExceptionHandler();
            ab.UseStatusCodePages();
        }
        app.UseTarmacAccess();
        app.MapHealth();
        app.MapTarmacOpenApi();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAccess(Scopes.Admin);
        return app;
    }

    /// <summary>Names every bad setting, so a misconfigured host stops at startup saying what to fix.</summary>
    private sealed class TarmacOptionsValidator : IValidateOptions<TarmacOptions>
    {
        public ValidateOptionsResult Validate(string? name, TarmacOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    private sealed class WarehouseReadyCheck(IWarehouseReader reader) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            await reader.PingAsync(ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("warehouse does not answer");
    }

    private sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
