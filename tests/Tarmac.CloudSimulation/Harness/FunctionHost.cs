using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tarmac.GoogleCloud;
using Tarmac.Ingest;
using Tarmac.Process;
using Tarmac.Query;
using Tarmac.ServiceDefaults;

namespace Tarmac.CloudSimulation.Harness;

/// <summary>Which Cloud Run service a <see cref="FunctionHost"/> runs.</summary>
public enum CloudFunction { Ingest, Process, Query }

/// <summary>
/// One Tarmac function as its own host on a Kestrel socket on 127.0.0.1, wired exactly as its
/// <c>src/Tarmac.&lt;Function&gt;/Program.cs</c> wires it (the same calls, in the same order), with the settings Cloud Run
/// would give it. <see cref="KillAsync"/> stops it without a grace period, the way an instance dies mid-request.
/// </summary>
public sealed class FunctionHost : IAsyncDisposable
{
    private bool _stopped;

    private FunctionHost(CloudFunction function, WebApplication app, CapturedLogs logs)
    {
        Function = function;
        App = app;
        Logs = logs;
        BaseUri = new Uri(app.Urls.First());
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    public CloudFunction Function { get; }
    public WebApplication App { get; }

    /// <summary>Everything the instance logged, with its structured fields.</summary>
    public CapturedLogs Logs { get; }
    public Uri BaseUri { get; }
    public HttpClient Http { get; }

    public static async Task<FunctionHost> StartAsync(CloudFunction function, IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // A killed instance gets no grace period (test-only; Cloud Run gives 10 s after SIGTERM, then SIGKILL).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.Zero);

        // From here on, exactly Program.cs.
        builder.AddTarmacDefaults(TarmacHosting.CloudRun);
        switch (function)
        {
            case CloudFunction.Ingest:
                builder.AddGoogleCloudBackend().AddGoogleCloudSignedUploads();
                builder.Services.AddIngest();
                break;
            case CloudFunction.Process:
                builder.AddGoogleCloudBackend().AddGoogleCloudPushAuth();
                builder.Services.AddProcess().AddPubSubPush();
                break;
            case CloudFunction.Query:
                builder.AddGoogleCloudBackend();
                builder.Services.AddQuery();
                break;
        }
        // Beside the console output Program.cs configures, not instead of it.
        var logs = new CapturedLogs(settings.TryGetValue("TARMAC_GCP_PROJECT", out var project) ? project : null);
        builder.Services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
        var app = builder.Build();
        app.MapTarmacDefaults();
        switch (function)
        {
            case CloudFunction.Ingest: app.MapIngest(); break;
            case CloudFunction.Process: app.MapPubSubPush(); app.MapScheduledRuns(); break;
            case CloudFunction.Query: app.MapQuery(); break;
        }
        await app.StartAsync();
        return new FunctionHost(function, app, logs);
    }

    /// <summary>Stops the instance at once: in-flight requests are cut and background work is cancelled.</summary>
    public async Task KillAsync()
    {
        if (_stopped) return;
        _stopped = true;
        Http.Dispose();
        using var now = new CancellationTokenSource(TimeSpan.Zero);
        try { await App.StopAsync(now.Token); } catch (OperationCanceledException) { }
        await App.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
