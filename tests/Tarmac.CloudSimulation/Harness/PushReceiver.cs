using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tarmac.CloudSimulation.Harness;

/// <summary>A push endpoint for the deliverer's own tests: records each push and answers what <see cref="Respond"/> says.</summary>
public sealed class PushReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public PushReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var push = new ReceivedPush(ctx.Request.Headers.Authorization.ToString(), JsonNode.Parse(await reader.ReadToEndAsync())!.AsObject());
            Received.Enqueue(push);
            ctx.Response.StatusCode = await Respond(push);
        });
        _app.StartAsync().GetAwaiter().GetResult();
        Endpoint = new Uri(new Uri(_app.Urls.First()), "/push");
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<ReceivedPush> Received { get; } = new();

    /// <summary>The status to answer (default 204: ack).</summary>
    public Func<ReceivedPush, Task<int>> Respond { get; set; } = _ => Task.FromResult(204);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
