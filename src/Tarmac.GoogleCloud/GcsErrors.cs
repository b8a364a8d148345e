using System.Net;
using Tarmac.Core.Ports;

namespace Tarmac.GoogleCloud;

/// <summary>How Cloud Storage failures map onto Tarmac's: what may pass, and the exception that says so.</summary>
internal static class GcsErrors
{
    /// <summary>429 and 5xx: the library already retried; the caller's work stays pending for a later attempt.</summary>
    public static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The failure as a <see cref="TransientFailureException"/> naming the object.</summary>
    public static TransientFailureException Unavailable(string bucket, string name, Exception e) =>
        new($"Cloud Storage is unavailable for gs://{bucket}/{name}: {e.Message}", e);
}
