using System.Net.Http.Headers;
using Tarmac.Testing;

namespace Tarmac.IntegrationTests;

/// <summary>
/// The system under test: the deployment at <c>TARMAC_BASE_URL</c> (with <c>TARMAC_TOKEN</c> as bearer token when
/// auth is on), or, when that is not set, the local host started in-process on loopback.
/// </summary>
public sealed class Deployment : IDisposable
{
    private readonly TarmacHost? _local;

    public Deployment()
    {
        var baseUrl = Environment.GetEnvironmentVariable("TARMAC_BASE_URL");
        if (string.IsNullOrWhiteSpace(baseUrl))
        {
            _local = new TarmacHost();
            Http = _local.Http;
            Target = "local host";
            StatusWait = IntegrationTests.StatusWait.FromEnvironment(remote: false);
            return;
        }
        Http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(2) };
        if (Environment.GetEnvironmentVariable("TARMAC_TOKEN") is { Length: > 0 } token)
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Target = baseUrl;
        StatusWait = IntegrationTests.StatusWait.FromEnvironment(remote: true);
    }

    public HttpClient Http { get; }

    /// <summary>How long a check waits for an upload's final status (see <see cref="IntegrationTests.StatusWait"/>).</summary>
    public TimeSpan StatusWait { get; }

    /// <summary>What is being tested, for messages.</summary>
    public string Target { get; }

    public void Dispose()
    {
        if (_local is not null) _local.Dispose();
        else Http.Dispose();
    }
}
