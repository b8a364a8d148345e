using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.ServiceDefaults;

namespace Tarmac.Ingest;

/// <summary>
/// The ceiling on direct uploads receiving and storing their bytes at once (<c>TARMAC_MAX_CONCURRENT_UPLOADS</c>): each holds a
/// socket, a file being written and a hash in progress, and a few thousand 4 GiB bodies would exhaust the disk's bandwidth and
/// the host's sockets long before any finished. An upload over it is refused before its body is read. A slot ends once the
/// bytes are stored: waiting for the outcome (<c>?wait=true</c>) has its own ceiling, <c>TARMAC_MAX_WAITERS</c>.
/// </summary>
public sealed class UploadGate(TarmacOptions options)
{
    /// <summary>Seconds a refused client is told to wait: long enough for a small upload in flight to finish.</summary>
    public const int RetryAfterSeconds = 5;

    private int _inFlight;

    /// <summary>Uploads holding a slot now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>A slot, or null when <see cref="TarmacOptions.MaxConcurrentUploads"/> are in flight already.</summary>
    public Slot? TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) <= options.MaxConcurrentUploads) return new Slot(this);
        Interlocked.Decrement(ref _inFlight);
        return null;
    }

    /// <summary>The 503 a refused upload gets, with its <c>Retry-After</c> header set on <paramref name="http"/>.</summary>
    public ProblemHttpResult Refuse(HttpContext http)
    {
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
