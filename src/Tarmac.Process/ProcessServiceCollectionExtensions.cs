using Microsoft.Extensions.DependencyInjection.Extensions;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.GoogleCloud;

namespace Tarmac.Process;

public static class ProcessServiceCollectionExtensions
{
    /// <summary>
    /// Registers the process function's services: with the local backend (in-process events registered) the pump
    /// that consumes them; with the Google Cloud backend the push token check and the push batcher. Call after
    /// <c>AddTarmacDefaults</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">On Google Cloud, a push setting is missing.</exception>
    public static IServiceCollection AddProcess(this IServiceCollection services)
    {
        services.AddSingleton<UploadProcessor>();
        services.TryAddSingleton<UploadSignals>();
        if (services.Any(d => d.ServiceType == typeof(InProcessObjectEvents))) services.AddHostedService<LocalEventPump>();
        if (services.FindGoogleCloudOptions() is { } gcp)
        {
            services.AddGoogleCloudPush(gcp);
            services.AddSingleton<PushBatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<PushBatcher>());
        }
        return services;
    }
}
