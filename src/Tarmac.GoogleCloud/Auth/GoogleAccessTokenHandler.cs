using System.Net.Http.Headers;
using Google.Apis.Auth.OAuth2;

namespace Tarmac.GoogleCloud.Auth;

/// <summary>
/// Adds an OAuth access token from application-default credentials (on Cloud Run: the metadata server)
/// to every request. Credentials are looked up on the first request, not at startup, and refreshed by the library.
/// </summary>
public sealed class GoogleAccessTokenHandler(params string[] scopes) : DelegatingHandler
{
    private readonly Lazy<Task<ITokenAccess>> _credential = new(async () =>
        (await GoogleCredential.GetApplicationDefaultAsync()).CreateScoped(scopes));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credential = await _credential.Value;
        var token = await credential.GetAccessTokenForRequestAsync(request.RequestUri?.ToString(), cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
