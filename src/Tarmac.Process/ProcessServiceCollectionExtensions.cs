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
        services.AddSingleton<OutcomeReports>();
        services.TryAddSingleton<UploadSignals>();
        return services;
    }

    /// <summary>
    /// Events by Pub/Sub push (<c>POST /pubsub/push</c>, <c>MapPubSubPush</c>), each answered once staged; the flush timer
    /// and the scheduled runs (<c>POST /flush</c>, <c>POST /sweep</c>, <c>MapScheduledRuns</c>) that load what is staged.
    /// </summary>
    public static IServiceCollection AddPubSubPush(this IServiceCollection services)
    {
        services.AddSingleton<UploadSweeper>();
        services.AddHostedService<FlushTimer>();
        return services;
    }
}
