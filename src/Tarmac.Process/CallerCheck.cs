using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.GoogleCloud;
using Tarmac.GoogleCloud.Push;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// Who may call process on Google Cloud: Pub/Sub pushes and Cloud Scheduler's runs carry an OIDC token of the pusher
/// service account for the push audience (checked by <see cref="PushTokenValidator"/>).
/// </summary>
internal static class CallerCheck
{
    /// <summary>Null when the caller is the pusher (or auth is off for an emulator), else the 401 or 403 to answer.</summary>
    public static async Task<ProblemHttpResult?> RefuseAsync(HttpContext http, GoogleCloudOptions gcp, CancellationToken ct)
    {
        if (!gcp.PushAuthEnabled) return null;
        var header = http.Request.Headers.Authorization.ToString();
        var auth = await http.RequestServices.GetRequiredService<PushTokenValidator>().ValidateAsync(header.Length > 0 ? header : null, ct);
        return auth switch
        {
            PushAuthResult.Unauthenticated => Problems.Create(StatusCodes.Status401Unauthorized, "Push token missing or invalid",
                "Send a Google-signed OIDC token for this service's push audience as Authorization: Bearer <token>."),
            PushAuthResult.Forbidden => Problems.Create(StatusCodes.Status403Forbidden, "Not the push service account",
                "The token is valid but its email is not the configured push service account (or is not verified)."),
            _ => null,
        };
    }
}
