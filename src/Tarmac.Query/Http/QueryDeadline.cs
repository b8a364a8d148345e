using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Tarmac.ServiceDefaults;

namespace Tarmac.Query.Http;

/// <summary>
/// The query time limit (<c>TARMAC_QUERY_TIMEOUT_MS</c>). It covers everything up to the first byte of the response,
/// so a slow query can still be answered 503 with Retry-After. From the first byte on, the export time limit
/// (<c>TARMAC_EXPORT_TIME_LIMIT</c>) applies instead: a slow reader holds a warehouse connection for at most that long,
/// then the response is cut off in a way its client can detect (<see cref="ExportCutOff"/>).
/// </summary>
public sealed partial class QueryDeadline(TarmacOptions options, ILogger<QueryDeadline> log)
{
    private const int RetryAfterSeconds = 10;

    /// <summary>
    /// Runs <paramref name="work"/> under the limit. The work gets the token to pass on and a callback that the row writer
    /// calls when the first byte is ready, which returns the token its flushes wait under. On timeout before then the
    /// answer is a 503 <see cref="ProblemHttpResult"/>; after it, the response is cut off so that a truncated body cannot
    /// look complete.
    /// </summary>
    public async Task<IResult> RunAsync(HttpContext http, Func<CancellationToken, Func<CancellationToken>, Task<IResult>> work)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        // Flushes wait under a token of their own, a grace period later than the export limit: Kestrel aborts the connection
        // when a flush is cancelled, and a reader that is still taking data should get the "$error" line, not that abort.
        // Only a reader that takes nothing at all keeps the warehouse connection up to the grace period longer.
        using var flush = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var timeout = TimeSpan.FromMilliseconds(options.QueryTimeoutMs);
        limit.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        CancellationToken StartResponse()
        {
            // The timer's callback can run late on a busy thread pool: the clock, not the callback, decides whether the
            // limit passed before the first byte.
            if (Stopwatch.GetElapsedTime(started) > timeout) limit.Cancel();
            limit.Token.ThrowIfCancellationRequested();
            limit.CancelAfter(options.ExportTimeLimit);
            flush.CancelAfter(options.ExportTimeLimit + ExportCutOff.Grace);
            return flush.Token;
        }
        try
        {
            return await work(limit.Token, StartResponse);
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested || flush.IsCancellationRequested)
        {
            if (http.Response.HasStarted)
            {
                LogCutOff(log, http.Request.Path.Value, options.ExportTimeLimit);
                if (flush.IsCancellationRequested) http.Abort(); // the reader took nothing for the whole grace period
                else await ExportCutOff.EndAsync(http, options.ExportTimeLimit, flush.Token);
                return Results.Empty;
            }
            LogTimedOut(log, http.Request.Path.Value, options.QueryTimeoutMs);
            // Headers set for the answer that never came would describe the problem as if it were that answer.
            http.Response.Headers.Remove("Link");
            http.Response.Headers.Remove("X-Total-Count");
            http.Response.Headers.ETag = StringValues.Empty;
            http.Response.Headers.LastModified = StringValues.Empty;
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Query took too long",
                $"The query ran longer than the {options.QueryTimeoutMs:N0} ms limit and was stopped. Narrow it (more selective filters, fewer fields, a smaller limit) or retry later.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response on {path} cut off after the export time limit of {limit}")]
    private static partial void LogCutOff(ILogger logger, string? path, TimeSpan limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Query on {path} cancelled after the {timeout_ms} ms limit")]
    private static partial void LogTimedOut(ILogger logger, string? path, int timeout_ms);
}
