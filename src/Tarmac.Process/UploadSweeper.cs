using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;

namespace Tarmac.Process;

/// <summary>What a sweep found and did.</summary>
/// <param name="Open">Uploads without a final status.</param>
/// <param name="Redriven">Of those, the ones processed again because they waited past the re-drive deadline.</param>
/// <param name="Overdue">Of those, the ones older than <see cref="UploadSweeper.OverdueAfter"/> (each logged for the alert).</param>
public sealed record SweepResult(int Open, int Redriven, int Overdue);

/// <summary>
/// Re-drives stuck work (Cloud Scheduler calls <c>POST /sweep</c>): an upload still <c>stored</c> past
/// <see cref="RedriveAfter"/> is processed again as if its notification had just arrived (a push that was lost or
/// dead-lettered), and every upload older than <see cref="OverdueAfter"/> without a final status is logged as
/// <c>event="upload_overdue"</c>, which the stuck-work alert counts.
/// </summary>
public sealed partial class UploadSweeper(IUploadLedger ledger, IObjectStore store, UploadProcessor processor, TimeProvider time, ILogger<UploadSweeper> logger)
{
    /// <summary>Most open uploads one sweep looks at, oldest first.</summary>
    public const int MaxPerSweep = 1000;

    /// <summary>How long an upload may stay stored before the sweep processes it again.</summary>
    public TimeSpan RedriveAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Age past which an upload without a final status is overdue (the alert's threshold).</summary>
    public TimeSpan OverdueAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>One sweep.</summary>
    public async Task<SweepResult> SweepAsync(CancellationToken ct)
    {
        var open = await ledger.ListByStatusAsync(UploadStatus.Stored, MaxPerSweep, ct);
        var now = time.GetUtcNow();
        int redriven = 0, overdue = 0;
        foreach (var upload in open)
        {
            var age = now - upload.ReceivedAt;
            if (age >= OverdueAfter)
            {
                overdue++;
                LogOverdue(logger, "upload_overdue", upload.UploadId, upload.Dataset, (long)age.TotalSeconds);
            }
            if (age < RedriveAfter) continue;
            // A staged upload is skipped by the loader (its load is the flush's); anything else is validated again.
            var raw = await store.GetAsync(upload.Object, ct);
            if (raw is null) await ledger.MarkFailedAsync(upload.UploadId, "The raw object vanished before it was loaded.", ct);
            else await processor.ProcessAsync([new ObjectFinalized(store.Bucket, raw.Name, raw.Generation)], ct);
            redriven++;
        }
        return new SweepResult(open.Count, redriven, overdue);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{event}: upload {upload_id} of {dataset} has no final status after {age_seconds} s")]
    private static partial void LogOverdue(ILogger logger, string @event, string upload_id, string dataset, long age_seconds);
}
