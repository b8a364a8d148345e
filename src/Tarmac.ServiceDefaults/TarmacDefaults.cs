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
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Embedded;
using Tarmac.GoogleCloud;

namespace Tarmac.ServiceDefaults;

/// <summary>Registration shared by every Tarmac host (each function alone, or all three in Tarmac.Local).</summary>
public static class TarmacDefaults
{
    /// <summary>Name of the meter every Tarmac metric is recorded on.</summary>
    public const string MeterName = "Tarmac";

    /// <summary>
    /// Options, listening address (<c>PORT</c>), JSON, problem details, health checks, logs, metrics, the schema
    /// catalog and the backend's adapters. <paramref name="loopbackOnly"/> binds 127.0.0.1 (the local host).
    /// </summary>
    public static WebApplicationBuilder AddTarmacDefaults(this WebApplicationBuilder builder, bool loopbackOnly)
    {
        var options = builder.Configuration.Get<TarmacOptions>() ?? new TarmacOptions();
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(options);

        if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["URLS"]))
        {
            var port = builder.Configuration["PORT"] is { Length: > 0 } p ? p : "8080";
            builder.WebHost.UseUrls($"http://{(loopbackOnly ? "127.0.0.1" : "0.0.0.0")}:{port}");
        }
        // Uploads are streamed and their size is enforced by ingest (after decompression), not by Kestrel's 30 MB default.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);

        builder.Services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks();
        builder.Services.AddTarmacOpenApi();

        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (options.IsLocal) builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        else builder.Logging.AddConsole(o => o.FormatterName = CloudLoggingFormatter.FormatterName).AddConsoleFormatter<CloudLoggingFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();

        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(MeterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ => SchemaCatalog.Load(options.ResolveSchemas()));
        builder.Services.AddSingleton<TarmacMetrics>();
        if (options.IsLocal) AddEmbeddedBackend(builder.Services, options);
        else if (options.IsGoogleCloud) AddGoogleCloudBackend(builder.Services, builder.Configuration);
        else throw new InvalidOperationException($"TARMAC_BACKEND='{options.Backend}' is not a backend (supported: local, gcp).");
        return builder;
    }

    private static void AddEmbeddedBackend(IServiceCollection services, TarmacOptions options)
    {
        var dataDir = Path.GetFullPath(options.DataDir);
        services.AddSingleton<IObjectStore>(_ => new FileSystemObjectStore(Path.Combine(dataDir, "bucket")));
        services.AddSingleton(sp => new DuckDbWarehouse(Path.Combine(dataDir, "warehouse.duckdb"), sp.GetRequiredService<SchemaCatalog>(), sp.GetRequiredService<TimeProvider>(), options.DuckDbMemoryLimit)
        {
            BulkThresholdBytes = options.BulkThresholdBytes < 0 ? long.MaxValue : options.BulkThresholdBytes,
            BufferedPageMaxRows = Math.Max(0, options.BufferedPageRows),
        });
        services.AddSingleton<IUploadLedger>(sp => sp.GetRequiredService<DuckDbWarehouse>());
        services.AddSingleton<IWarehouseLoader>(sp => sp.GetRequiredService<DuckDbWarehouse>());
        services.AddSingleton<IWarehouseReader>(sp => sp.GetRequiredService<DuckDbWarehouse>());
        services.AddSingleton<InProcessObjectEvents>();
        services.AddSingleton<IObjectEventPublisher>(sp => sp.GetRequiredService<InProcessObjectEvents>());
        services.AddHealthChecks().AddCheck<WarehouseReadyCheck>("warehouse", tags: ["ready"]);
    }

    private static void AddGoogleCloudBackend(IServiceCollection services, IConfiguration configuration)
    {
        // Fails here, at startup, naming every missing setting.
        services.AddGoogleCloudBackend(configuration.Get<GoogleCloudOptions>() ?? new GoogleCloudOptions());
        services.AddHealthChecks().AddCheck<WarehouseReadyCheck>("warehouse", tags: ["ready"]);
    }

    /// <summary>The JSON conventions of the API: snake_case names, enums as snake_case strings, timestamps in UTC with Z.</summary>
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DictionaryKeyPolicy = null;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        o.Converters.Add(new UtcTimestampConverter());
    }

    /// <summary>
    /// Health (<c>/healthz</c>: the process answers), readiness (<c>/readyz</c>: its backend answers), <c>/metrics</c>,
    /// and the API description (<c>/openapi.json</c>, <c>/docs</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapTarmacDefaults(this IEndpointRouteBuilder app)
    {
        if (app is IApplicationBuilder ab)
        {
            ab.UseExceptionHandler();
            ab.UseStatusCodePages();
        }
        app.MapHealth();
        app.MapTarmacOpenApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
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
