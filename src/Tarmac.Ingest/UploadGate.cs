using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Ports;
using Tarmac.ServiceDefaults;

namespace Tarmac.Ingest;

/// <summary>
/// The ceiling on direct uploads receiving and storing their bytes at once (<c>TARMAC_MAX_CONCURRENT_UPLOADS</c>): each holds a
/// socket, a file being written and a hash in progress, and a few thousand 4 GiB bodies would exhaust the disk's bandwidth and
/// the host's sockets long before any finished. An upload over it is refused before its body is read. A slot ends once the
/// bytes are stored: waiting for the outcome (<c>?wait=true</c>) has its own ceiling, <c>TARMAC_MAX_WAITERS</c>.
/// Where the backend counts the uploads accepted and not yet loaded (<see cref="ILoadBacklog"/>), the gate also refuses
/// while they are over <c>TARMAC_MAX_PENDING_LOADS</c>: loads then catch up instead of falling ever further behind.
/// </summary>
public sealed class UploadGate(TarmacOptions options, ILoadBacklog? backlog = null, TarmacMetrics? metrics = null)
{
    /// <summary>Seconds a refused client is told to wait: long enough for a small upload in flight to finish.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>Seconds a client refused while the loads are behind is told to wait: about what they need to catch up.</summary>
    public const int BehindRetryAfterSeconds = 1;

    private int _inFlight;

    /// <summary>Why <see cref="TryEnter"/> gave no slot.</summary>
    public enum Refusal
    {
        /// <summary><see cref="TarmacOptions.MaxConcurrentUploads"/> uploads are receiving their bytes.</summary>
        Ceiling,
        /// <summary><see cref="TarmacOptions.MaxPendingLoads"/> uploads are accepted and not loaded yet.</summary>
        LoadsBehind,
    }

    /// <summary>Uploads holding a slot now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>A slot, or null (and why) when the loads are behind or the ceiling is reached.</summary>
    public Slot? TryEnter(out Refusal refusal)
    {
        refusal = Refusal.LoadsBehind;
        if (backlog is not null && options.MaxPendingLoads > 0 && backlog.Pending >= options.MaxPendingLoads) return null;
        refusal = Refusal.Ceiling;
        if (Interlocked.Increment(ref _inFlight) <= options.MaxConcurrentUploads) return new Slot(this);
        Interlocked.Decrement(ref _inFlight);
        return null;
    }

    /// <summary>The 503 a refused upload gets, with its <c>Retry-After</c> header set on <paramref name="http"/>.</summary>
    public ProblemHttpResult Refuse(HttpContext http, Refusal refusal)
    {
        metrics?.UploadsRefused.Add(1, new KeyValuePair<string, object?>("reason", refusal == Refusal.LoadsBehind ? "loads_behind" : "concurrent_uploads"));
        if (refusal == Refusal.LoadsBehind)
        {
            http.Response.Headers.RetryAfter = BehindRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Loads are behind",
                $"The server holds its limit of {options.MaxPendingLoads} uploads accepted and not yet loaded, and read nothing of this one. " +
                $"Send it again after {BehindRetryAfterSeconds} second (Retry-After).");
        }
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Too many uploads at once",
            $"The server is receiving its limit of {options.MaxConcurrentUploads} uploads at once and read nothing of this one. " +
            $"Send it again after {RetryAfterSeconds} seconds (Retry-After).");
    }

    /// <summary>One upload's place under the ceiling; releasing it twice releases it once.</summary>
    public sealed class Slot : IDisposable
    {
        private UploadGate? _gate;

        internal Slot(UploadGate gate) => _gate = gate;

        /// <summary>Gives the place back (once the bytes are stored, or when the request ends).</summary>
        public void Release()
        {
            if (Interlocked.Exchange(ref _gate, null) is { } gate) Interlocked.Decrement(ref gate._inFlight);
        }

        /// <inheritdoc />
        public void Dispose() => Release();
    }
}
