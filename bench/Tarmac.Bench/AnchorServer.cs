using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tarmac.Bench;

/// <summary>
/// The physical anchor for HTTP: a minimal Kestrel app with a trivial GET, a POST that writes its body to a new file,
/// one that also flushes it to disk, and one that appends it to a shared log flushed once per group.
/// </summary>
public sealed class AnchorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly GroupCommitLog _log;

    private AnchorServer(WebApplication app, Uri baseAddress, GroupCommitLog log)
    {
        _app = app;
        BaseAddress = baseAddress;
        _log = log;
    }

    public Uri BaseAddress { get; }

    /// <summary>Bodies per flush of the group-commit POST so far.</summary>
    public double BodiesPerGroup => _log.BodiesPerGroup;

    public static async Task<AnchorServer> StartAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/ping", () => "ok");
        app.MapPost("/file", async (HttpRequest request) =>
        {
            await using (var file = new FileStream(Path.Combine(folder, Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
                await request.Body.CopyToAsync(file);
            return Results.Ok();
        });
        // The durable variant: what "stored before 200" costs on this disk (Tarmac flushes every object before answering).
        app.MapPost("/durable-file", async (HttpRequest request) =>
        {
            await using (var file = new FileStream(Path.Combine(folder, Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await request.Body.CopyToAsync(file);
                file.Flush(flushToDisk: true);
            }
            return Results.Ok();
        });
        // Group commit: durable like /durable-file, with one flush for every body waiting.
        var log = new GroupCommitLog(Path.Combine(folder, "group-commit.log"));
        app.MapPost("/group-file", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            await log.AppendAsync(body.ToArray());
            return Results.Ok();
        });
        await app.StartAsync();
        return new AnchorServer(app, new Uri(app.Urls.First()), log);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _log.DisposeAsync();
    }
}
