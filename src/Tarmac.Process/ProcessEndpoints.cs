namespace Tarmac.Process;

/// <summary>The process function's routes (the Pub/Sub push endpoint joins them with the Google Cloud backend).</summary>
public static class ProcessEndpoints
{
    public static IEndpointRouteBuilder MapProcess(this IEndpointRouteBuilder app) => app;
}
