using Microsoft.Extensions.DependencyInjection.Extensions;
using Tarmac.Core.Uploads;

namespace Tarmac.Process;

/// <summary>Registration of the process function.</summary>
public static class ProcessServiceCollectionExtensions
{
    /// <summary>
    /// The process function: validation and outcomes (<see cref="UploadLoader"/>) and the event handling around them
    /// (<see cref="UploadProcessor"/>). What delivers the events is the host's choice: an in-process pump locally, or
    /// <see cref="AddPubSubPush"/> on Google Cloud.
    /// </summary>
    public static IServiceCollection AddProcess(this IServiceCollection services)
    {
        services.AddSingleton<UploadLoader>();
        services.AddSingleton<UploadProcessor>();
        services.TryAddSingleton<UploadSignals>();
        return services;
    }

    /// <summary>Events by Pub/Sub push (<c>POST /pubsub/push</c>, mapped by <c>MapPubSubPush</c>), gathered into batches.</summary>
    public static IServiceCollection AddPubSubPush(this IServiceCollection services)
    {
        services.AddSingleton<PushBatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<PushBatcher>());
        return services;
    }
}
