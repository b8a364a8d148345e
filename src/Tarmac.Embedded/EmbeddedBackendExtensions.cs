using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;

namespace Tarmac.Embedded;

/// <summary>Registration of the embedded adapters.</summary>
public static class EmbeddedBackendExtensions
{
    /// <summary>
    /// The embedded backend: the folder bucket under <c>TARMAC_DATA_DIR/bucket</c>, in-process object events, and one DuckDB
    /// file (<c>warehouse.duckdb</c>) holding the ledger and the dataset tables. Settings are checked at startup.
    /// </summary>
    public static IHostApplicationBuilder AddEmbeddedBackend(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EmbeddedOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EmbeddedOptions>, EmbeddedOptionsValidator>();

        services.AddSingleton<IObjectStore>(sp => new FileSystemObjectStore(Path.Combine(Settings(sp).DataPath, "bucket"),
            segmentMaxObjectBytes: Settings(sp).SegmentMaxObjectBytes, logger: sp.GetService<ILoggerFactory>()?.CreateLogger<FileSystemObjectStore>()));
        services.AddSingleton(sp => new DuckDbDatabase(Path.Combine(Settings(sp).DataPath, "warehouse.duckdb"),
            sp.GetRequiredService<SchemaCatalog>(), Settings(sp).DuckDbMemoryLimit, Settings(sp).DuckDbThreads,
            Settings(sp).DuckDbCheckpointThreshold, sp.GetService<ILoggerFactory>()?.CreateLogger<DuckDbDatabase>()));
        // The bucket's segment records are the registrations of the small uploads in it (one flush for bytes and registration).
        services.AddSingleton(sp => new DuckDbUploadLedger(sp.GetRequiredService<DuckDbDatabase>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IObjectStore>() as FileSystemObjectStore, sp.GetService<ILoggerFactory>()?.CreateLogger<DuckDbUploadLedger>()));
        services.AddSingleton<IUploadLedger>(sp => sp.GetRequiredService<DuckDbUploadLedger>());
        services.AddSingleton<ILoadBacklog>(sp => sp.GetRequiredService<DuckDbUploadLedger>());
        services.AddSingleton(sp => new DuckDbWarehouseLoader(sp.GetRequiredService<DuckDbDatabase>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>())
        {
            BulkThresholdBytes = Settings(sp).BulkThresholdBytes < 0 ? long.MaxValue : Settings(sp).BulkThresholdBytes,
        });
        services.AddSingleton<IWarehouseLoader>(sp => sp.GetRequiredService<DuckDbWarehouseLoader>());
        services.AddSingleton(sp => new DuckDbWarehouseReader(sp.GetRequiredService<DuckDbDatabase>()));
        services.AddSingleton<IWarehouseReader>(sp => sp.GetRequiredService<DuckDbWarehouseReader>());
        services.AddSingleton<InProcessObjectEvents>();
        services.AddSingleton<IObjectEventPublisher>(sp => sp.GetRequiredService<InProcessObjectEvents>());
        services.AddExceptionHandler<OutOfMemoryProblem>();
        return builder;
    }

    private static EmbeddedOptions Settings(IServiceProvider sp) => sp.GetRequiredService<IOptions<EmbeddedOptions>>().Value;

    /// <summary>Names every bad setting, so a misconfigured host stops at startup saying what to fix.</summary>
    private sealed class EmbeddedOptionsValidator : IValidateOptions<EmbeddedOptions>
    {
        public ValidateOptionsResult Validate(string? name, EmbeddedOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
