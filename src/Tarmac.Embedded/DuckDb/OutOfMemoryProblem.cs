using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Tarmac.Embedded;

/// <summary>
/// Answers a request that failed because DuckDB's buffer pool was full, or because the database instance waits to be
/// replaced (<see cref="WarehouseReplacingException"/>), with 503 and <c>Retry-After</c> instead of 500: the client did
/// nothing wrong, and the same request succeeds once the work holding the memory, or the connections, is done.
/// </summary>
internal sealed class OutOfMemoryProblem(IProblemDetailsService problems) : IExceptionHandler
{
    /// <summary>Seconds a client is asked to wait.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        // Also when a session already turned it into a TransientFailureException: the check follows inner exceptions.
        var detail = DuckDbErrors.IsOutOfMemory(exception)
            ? $"The warehouse is out of memory for the moment (other large reads or loads hold it). Try again in {RetryAfterSeconds} seconds."
            : exception is WarehouseReplacingException
                ? $"The warehouse is reopening its database after a failed load and takes no new export, and no retry of a failed upload, until then. Try again in {RetryAfterSeconds} seconds."
                : null;
        if (detail is null || http.Response.HasStarted) return false;
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
                Detail = detail,
            },
        });
    }
}
