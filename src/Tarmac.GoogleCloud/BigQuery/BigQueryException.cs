using System.Net;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>BigQuery answered with an error (HTTP status, or a job's <c>errorResult</c>).</summary>
public sealed class BigQueryException(string message, HttpStatusCode? status, string? reason) : Exception(message)
{
    /// <summary>HTTP status of the answer; null for a job that finished with an error.</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>BigQuery's error reason (<c>duplicate</c>, <c>rateLimitExceeded</c>, <c>invalid</c>…).</summary>
    public string? Reason { get; } = reason;

    /// <summary>
    /// True for answers that a later retry may turn into success: 429, 5xx, rate limits, quotas (a daily load-job quota
    /// passes too: the push is redelivered with backoff, then dead-lettered, never recorded as failed), backend errors.
    /// </summary>
    public bool IsTransient =>
        Status is HttpStatusCode.TooManyRequests || (int?)Status >= 500
        || Reason is "rateLimitExceeded" or "quotaExceeded" or "backendError" or "internalError" or "jobBackendError" or "jobInternalError";
}
