using System.Net.Http.Headers;
using System.Text.Json;

namespace Tarmac.Cli.Http;

/// <summary>
/// HTTP to one Tarmac deployment. The bearer token goes only to that deployment's origin: a URL the server hands out
/// (a signed upload URL to the bucket, say) never receives it.
/// </summary>
public sealed class TarmacClient : IDisposable
{
    private readonly string _base;
    private readonly string? _token;

    /// <param name="baseUrl">The deployment's address (the gateway, or <c>http://127.0.0.1:8080</c>).</param>
    /// <param name="token">A Tarmac token, or null when auth is off.</param>
    public TarmacClient(Uri baseUrl, string? token)
    {
        BaseUrl = baseUrl;
        _base = baseUrl.AbsoluteUri.TrimEnd('/');
        _token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        // No overall timeout: uploads and exports take as long as their bytes take; each command cancels on Ctrl+C.
        Http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        Http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("tarmac-cli", typeof(TarmacClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>The deployment's address.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The underlying client (no timeout, no default authorization).</summary>
    public HttpClient Http { get; }

    /// <summary>The absolute URL of <paramref name="pathOrUrl"/> (a path on the deployment, or an absolute URL).</summary>
    public Uri Resolve(string pathOrUrl) =>
        Uri.TryCreate(pathOrUrl, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute
            : new Uri(_base + (pathOrUrl.StartsWith('/') ? pathOrUrl : "/" + pathOrUrl));

    /// <summary>A request to <paramref name="pathOrUrl"/>, with the token when it goes to the deployment itself.</summary>
    public HttpRequestMessage Request(HttpMethod method, string pathOrUrl)
    {
        var uri = Resolve(pathOrUrl);
        var request = new HttpRequestMessage(method, uri);
        if (_token is not null && Uri.Compare(uri, BaseUrl, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }

    /// <summary>Sends <paramref name="request"/>; an error answer becomes an <see cref="ApiProblemException"/>.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct, HttpCompletionOption completion = HttpCompletionOption.ResponseHeadersRead)
    {
        var response = await Http.SendAsync(request, completion, ct);
        if (response.IsSuccessStatusCode) return response;
        using (response) throw new ApiProblemException(await ApiProblem.ReadAsync(response, ct));
    }

    /// <summary>GETs <paramref name="path"/> and parses the JSON answer.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await SendAsync(request, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        return doc.RootElement.Clone();
    }

    /// <inheritdoc />
    public void Dispose() => Http.Dispose();
}
