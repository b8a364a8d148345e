using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.GoogleCloud;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud.BigQuery;
using Tarmac.GoogleCloud.Push;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// What Cloud Scheduler runs on process, with the same OIDC identity as the pushes: <c>POST /flush</c> loads everything
/// staged (one load job per dataset), <c>POST /sweep</c> re-drives stuck uploads and then flushes.
/// </summary>
public static partial class ScheduledRunEndpoints
{
    public static IEndpointRouteBuilder MapScheduledRuns(this IEndpointRouteBuilder app)
    {
        // Not consumer routes: CallerCheck admits only the pusher's OIDC token, so the access checks stand aside.
        var runs = app.MapGroup("").WithTags("Events").DisableAntiforgery().AllowAnonymous()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        runs.MapPost("/flush", Flush).WithName("Flush")
            .WithSummary("Loads the staged rows of every dataset, one load job each (Cloud Scheduler, OIDC-authenticated)");
        runs.MapPost("/sweep", Sweep).WithName("Sweep")
            .WithSummary("Processes uploads stuck in stored again, logs overdue ones, then flushes (Cloud Scheduler, OIDC-authenticated)");
        return app;
    }

    /// <summary>One dataset's flush, as reported.</summary>
    public sealed record FlushReport(string Dataset, bool Ran, int Settled, IReadOnlyList<string> JobIds);

    /// <summary>What a sweep reports: its findings, the dead letters it handled, and the flush after it.</summary>
    public sealed record SweepReport(SweepResult Sweep, DeadLetterReport DeadLetters, IReadOnlyList<FlushReport> Flushes);

    /// <summary>Dead-lettered messages pulled, and of those the ones handled and acknowledged.</summary>
    public sealed record DeadLetterReport(int Pulled, int Acknowledged);

    private static async Task<Results<Ok<IReadOnlyList<FlushReport>>, ProblemHttpResult>> Flush(
        HttpContext http, bool? force, BigQueryFlusher flusher, OutcomeReports reports, SchemaCatalog catalog, GoogleCloudOptions gcp,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (await CallerCheck.RefuseAsync(http, gcp, ct) is { } refused) return refused;
        return await RunAsync("flush", Logger(loggers), () => FlushAllAsync(flusher, reports, catalog, force ?? false, ct));
    }

    private static async Task<Results<Ok<SweepReport>, ProblemHttpResult>> Sweep(
        HttpContext http, UploadSweeper sweeper, DeadLetterSubscription deadLetters, UploadProcessor processor, BigQueryFlusher flusher,
        OutcomeReports reports, SchemaCatalog catalog, GoogleCloudOptions gcp, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await CallerCheck.RefuseAsync(http, gcp, ct) is { } refused) return refused;
        var logger = Logger(loggers);
        return await RunAsync("sweep", logger, async () =>
        {
            var swept = await sweeper.SweepAsync(ct);
            var drained = await DrainAsync(deadLetters, processor, gcp, logger, ct);
            return new SweepReport(swept, drained, await FlushAllAsync(flusher, reports, catalog, force: false, ct));
        });
    }

    /// <summary>
    /// Runs one scheduled run and logs its outcome as <c>event="scheduled_run"</c>: the alerts count failed runs and
    /// notice when no sweep succeeds at all (a paused job, a refused OIDC token and a crashing run look the same there).
    /// </summary>
    private static async Task<Results<Ok<T>, ProblemHttpResult>> RunAsync<T>(string run, ILogger logger, Func<Task<T>> work)
    {
        try
        {
            var report = await work();
            LogRun(logger, ScheduledRunEvent, run, "ok", "");
            return TypedResults.Ok(report);
        }
        catch (TransientFailureException e)
        {
            LogRun(logger, ScheduledRunEvent, run, "failed", e.Message);
            return NotNow(e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var kind = e.GetType().Name;
            LogRun(logger, ScheduledRunEvent, run, "failed", kind);
            throw;
        }
    }

    /// <summary>The <c>event</c> of a scheduled run's outcome line; the scheduled_runs log-based metric counts it.</summary>
    public const string ScheduledRunEvent = "scheduled_run";

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(ScheduledRunEndpoints));

    /// <summary>
    /// Handles what the push subscription gave up on, as the push would have: a message is acknowledged once its upload
    /// is staged or settled, or when it can never be handled (malformed, not ours); one that failed for a reason that
    /// may pass stays, and comes back to the next sweep.
    /// </summary>
    private static async Task<DeadLetterReport> DrainAsync(DeadLetterSubscription deadLetters, UploadProcessor processor, GoogleCloudOptions gcp, ILogger logger, CancellationToken ct)
    {
        var letters = await deadLetters.PullAsync(MaxDeadLettersPerSweep, ct);
        var done = new List<string>();
        foreach (var letter in letters)
        {
            if (letter.Envelope is not { } envelope)
            {
                LogUnreadable(logger, letter.MessageId ?? "(none)", letter.Problem ?? "unreadable");
                done.Add(letter.AckId);
                continue;
            }
            var evt = envelope.Object;
            if (envelope.EventType == PushEnvelope.ObjectFinalize && evt.Name.StartsWith(UploadIds.RawPrefix, StringComparison.Ordinal)
                && string.Equals(evt.Bucket, gcp.RawBucket, StringComparison.Ordinal))
            {
                try
                {
                    await processor.ProcessAsync([evt], ct);
                }
                catch (TransientFailureException e)
                {
                    LogStillFailing(logger, envelope.MessageId, evt.Name, e.Message);
                    continue;
                }
            }
            done.Add(letter.AckId);
        }
        await deadLetters.AcknowledgeAsync(done, ct);
        return new DeadLetterReport(letters.Count, done.Count);
    }

    /// <summary>Most dead-lettered messages one sweep pulls (Pub/Sub's own cap per pull is 1,000).</summary>
    private const int MaxDeadLettersPerSweep = 100;

    [LoggerMessage(Level = LogLevel.Information, Message = "{event}: {run} {outcome} {reason}")]
    private static partial void LogRun(ILogger logger, string @event, string run, string outcome, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered message {message_id} is unreadable ({problem}); acknowledged")]
    private static partial void LogUnreadable(ILogger logger, string message_id, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered message {message_id} for {object} still fails ({reason}); left for the next sweep")]
    private static partial void LogStillFailing(ILogger logger, string message_id, string @object, string reason);

    private static async Task<IReadOnlyList<FlushReport>> FlushAllAsync(BigQueryFlusher flusher, OutcomeReports reports, SchemaCatalog catalog, bool force, CancellationToken ct)
    {
        var done = new List<FlushReport>();
        foreach (var dataset in catalog.Datasets.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            var result = await flusher.FlushAsync(dataset, force, ct);
            reports.Settled(result.Settled);
            done.Add(new FlushReport(result.Dataset, result.Ran, result.Settled.Count, result.JobIds));
        }
        return done;
    }

    // Cloud Scheduler retries a failed run per the job's retry config; the next run resumes where this one stopped.
    private static ProblemHttpResult NotNow(TransientFailureException e) => Problems.Create(StatusCodes.Status503ServiceUnavailable,
        "Not done yet", $"The run stopped on a failure that may pass ({e.GetType().Name}); the next run resumes it.");
}
