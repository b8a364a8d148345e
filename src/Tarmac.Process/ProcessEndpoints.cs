namespace Tarmac.Process;

/// <summary>The process function's routes.</summary>
public static class ProcessEndpoints
{
    /// <summary>Maps <c>POST /pubsub/push</c> when the Google Cloud backend is on (locally, events are in-process).</summary>
    public static IEndpointRouteBuilder MapProcess(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<PushBatcher>() is not null) app.MapPubSubPush();
        return app;
    }
}
