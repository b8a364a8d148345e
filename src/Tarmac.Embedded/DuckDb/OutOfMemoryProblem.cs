using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Tarmac.Embedded;

/// <summary>
/// Answers a request that failed because DuckDB's buffer pool was full with 503 and <c>Retry-After</c> instead of 500:
/// the client did nothing wrong, and the same request succeeds once the work holding the memory is done.
/// </summary>
internal sealed class OutOfMemoryProblem(IProblemDetailsService problems) : IExceptionHandler
{
    /// <summary>Seconds a client is asked to wait.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        // Also when a session already turned it into a TransientFailureException: the check follows inner exceptions.
        if (!DuckDbErrors.IsOutOfMemory(exception) || http.Response.HasStarted) return false;
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Warehouse busy",
                Detail = $"The warehouse is out of memory for the moment (other large reads or loads hold it). Try again in {RetryAfterSeconds} seconds.",
            },
        });
    }
}
