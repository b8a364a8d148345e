using System.Collections.Concurrent;
using System.Globalization;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Token buckets per consumer (<c>sub</c>), one for requests and one for uploads, plus a daily upload quota. Each
/// consumer has its own bucket and nothing waits: an empty bucket answers 429 at once, so one consumer's flood never
/// holds a thread, a lock or a queue slot another consumer needs. Counts are per instance (on Cloud Run each instance
/// limits on its own; the gateway's quotas bound the sum).
/// </summary>
public sealed class ConsumerRateLimits(AccessOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Sub, bool Upload), Bucket> _buckets = new();
    private readonly ConcurrentDictionary<string, DailyCount> _daily = new(StringComparer.Ordinal);

    /// <summary>Takes one request from the consumer's bucket (and, for an upload, its daily quota).</summary>
    public RateDecision Take(Caller caller, bool upload)
    {
        var rps = upload ? options.UploadRateLimitRps : caller.Rps ?? options.RateLimitRps;
        var policy = upload ? "uploads" : "requests";
        var bucket = _buckets.GetOrAdd((caller.Subject, upload), _ => new Bucket(rps));
        var now = time.GetTimestamp();
        var (allowed, remaining, wait) = bucket.Take(rps, now, time);
        // A rate under 1/s is stated as one request per ⌈1/rps⌉ seconds.
        var window = rps >= 1 ? 1 : (int)Math.Min(int.MaxValue, Math.Ceiling(1 / rps));
        var decision = new RateDecision(allowed, policy, rps >= 1 ? (long)Math.Floor(rps) : 1, window, remaining, wait);
        if (!allowed || !upload || options.UploadDailyQuota == 0) return decision;

        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var count = _daily.AddOrUpdate(caller.Subject, _ => new DailyCount(day, 1), (_, c) => c.Day == day ? c with { Count = c.Count + 1 } : new DailyCount(day, 1));
        if (count.Count <= options.UploadDailyQuota) return decision;
        var untilMidnight = (int)Math.Ceiling((day.AddDays(1).ToDateTime(TimeOnly.MinValue) - time.GetUtcNow().UtcDateTime).TotalSeconds);
        return new RateDecision(false, "uploads-daily", options.UploadDailyQuota, 86_400, 0, Math.Max(1, untilMidnight));
    }

    private sealed record DailyCount(DateOnly Day, long Count);

    private sealed class Bucket(double rps)
    {
        private readonly Lock _lock = new();
        private double _tokens = Math.Max(1, rps);
        private long _last = -1;

        public (bool Allowed, long Remaining, int RetryAfterSeconds) Take(double rate, long now, TimeProvider time)
        {
            var capacity = Math.Max(1, rate);
            lock (_lock)
            {
                if (_last >= 0) _tokens = Math.Min(capacity, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * rate);
                _last = now;
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    return (true, (long)Math.Floor(_tokens), 0);
                }
                return (false, 0, Math.Max(1, (int)Math.Ceiling((1 - _tokens) / rate)));
            }
        }
    }
}

/// <summary>The outcome of taking from a bucket, with what the IETF RateLimit headers report.</summary>
/// <param name="Allowed">Whether the request may go ahead.</param>
/// <param name="Policy">The policy's name (<c>requests</c>, <c>uploads</c>, <c>uploads-daily</c>).</param>
/// <param name="Quota">Requests the policy allows per window.</param>
/// <param name="WindowSeconds">The policy's window.</param>
/// <param name="Remaining">Requests left now.</param>
/// <param name="RetryAfterSeconds">Seconds until the next request would be allowed (0 when allowed).</param>
public sealed record RateDecision(bool Allowed, string Policy, long Quota, int WindowSeconds, long Remaining, int RetryAfterSeconds)
{
    /// <summary><c>RateLimit-Policy</c> (draft-ietf-httpapi-ratelimit-headers): name, quota and window.</summary>
    public string PolicyHeader => string.Create(CultureInfo.InvariantCulture, $"\"{Policy}\";q={Quota};w={WindowSeconds}");

    /// <summary><c>RateLimit</c>: remaining quota and seconds until it resets.</summary>
    public string LimitHeader => string.Create(CultureInfo.InvariantCulture, $"\"{Policy}\";r={Remaining};t={(Allowed ? 0 : RetryAfterSeconds)}");
}
