using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.GoogleCloud;
using Tarmac.GoogleCloud.BigQuery;
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

    /// <summary>What a sweep reports: its findings and the flush after it.</summary>
    public sealed record SweepReport(SweepResult Sweep, IReadOnlyList<FlushReport> Flushes);

    private static async Task<Results<Ok<IReadOnlyList<FlushReport>>, ProblemHttpResult>> Flush(
        HttpContext http, bool? force, BigQueryFlusher flusher, OutcomeReports reports, SchemaCatalog catalog, GoogleCloudOptions gcp, CancellationToken ct)
    {
        if (await CallerCheck.RefuseAsync(http, gcp, ct) is { } refused) return refused;
        try
        {
            return TypedResults.Ok(await FlushAllAsync(flusher, reports, catalog, force ?? false, ct));
        }
        catch (TransientFailureException e)
        {
            return NotNow(e);
        }
    }

    private static async Task<Results<Ok<SweepReport>, ProblemHttpResult>> Sweep(
        HttpContext http, UploadSweeper sweeper, BigQueryFlusher flusher, OutcomeReports reports, SchemaCatalog catalog, GoogleCloudOptions gcp, CancellationToken ct)
    {
        if (await CallerCheck.RefuseAsync(http, gcp, ct) is { } refused) return refused;
        try
        {
            var swept = await sweeper.SweepAsync(ct);
            return TypedResults.Ok(new SweepReport(swept, await FlushAllAsync(flusher, reports, catalog, force: false, ct)));
        }
        catch (TransientFailureException e)
        {
            return NotNow(e);
        }
    }

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
