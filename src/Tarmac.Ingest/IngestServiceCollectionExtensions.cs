using Microsoft.Extensions.DependencyInjection.Extensions;
using Tarmac.Core.Uploads;

namespace Tarmac.Ingest;

public static class IngestServiceCollectionExtensions
{
    /// <summary>Registers the ingest function's services.</summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddSingleton<UploadService>();
        services.TryAddSingleton<UploadSignals>();
        return services;
    }
}
