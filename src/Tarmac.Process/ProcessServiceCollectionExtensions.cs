using Microsoft.Extensions.DependencyInjection.Extensions;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;

namespace Tarmac.Process;

public static class ProcessServiceCollectionExtensions
{
    /// <summary>
    /// Registers the process function's services; with the local backend (in-process events registered),
    /// also the pump that consumes them. Call after <c>AddTarmacDefaults</c>.
    /// </summary>
    public static IServiceCollection AddProcess(this IServiceCollection services)
    {
        services.AddSingleton<UploadProcessor>();
        services.TryAddSingleton<UploadSignals>();
        if (services.Any(d => d.ServiceType == typeof(InProcessObjectEvents))) services.AddHostedService<LocalEventPump>();
        return services;
    }
}
