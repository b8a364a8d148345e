using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Refuses to start a host that would listen beyond loopback with auth off, whichever setting asked for the address:
/// <c>urls</c> (<c>ASPNETCORE_URLS</c>, <c>--urls</c>, <c>PORT</c> on Cloud Run), <c>http_ports</c>/<c>https_ports</c>
/// (every interface), or Kestrel endpoints in configuration. Checked before the server starts; the addresses actually
/// bound are checked again once it has, in case code asked for one.
/// </summary>
internal sealed partial class BindCheck(AccessSettings settings, IConfiguration configuration, IServer server, IHostApplicationLifetime lifetime, ILogger<BindCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Enabled) return Task.CompletedTask;
        var wide = Requested(configuration).Where(r => !IsLoopback(r.Url)).ToList();
        if (wide.Count > 0) throw new InvalidOperationException(Message(wide.Select(w => $"{w.Url} (from {w.Setting})")));
        lifetime.ApplicationStarted.Register(() =>
        {
            var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.Where(a => !IsLoopback(a)).ToList() ?? [];
            if (bound.Count == 0) return;
            var refusal = Message(bound);
            Refused(logger, refusal);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        });
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "{refusal}")]
    private static partial void Refused(ILogger logger, string refusal);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static string Message(IEnumerable<string> addresses) =>
        $"Refusing to start: TARMAC_AUTH is off but the host would listen on {string.Join(", ", addresses)}, beyond loopback, " +
        "where anyone who can reach it could read and write every dataset. Set TARMAC_AUTH=on (and mint tokens with the " +
        "`token` command), or listen on 127.0.0.1 only.";

    /// <summary>Every address configuration asks for, with the setting that asked.</summary>
    internal static IEnumerable<(string Url, string Setting)> Requested(IConfiguration configuration)
    {
        foreach (var url in Split(configuration[WebHostDefaults.ServerUrlsKey])) yield return (url, "urls: ASPNETCORE_URLS, --urls or PORT");
        foreach (var port in Split(configuration["http_ports"])) yield return ($"http://*:{port}", "HTTP_PORTS");
        foreach (var port in Split(configuration["https_ports"])) yield return ($"https://*:{port}", "HTTPS_PORTS");
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
            if (endpoint["Url"] is { Length: > 0 } url) yield return (url, $"Kestrel:Endpoints:{endpoint.Key}:Url");
    }

    /// <summary>Whether a listening URL binds loopback only (a wildcard or any other name does not).</summary>
    internal static bool IsLoopback(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']') + 1)] : rest.Split(':', '/')[0];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    private static string[] Split(string? list) =>
        (list ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
