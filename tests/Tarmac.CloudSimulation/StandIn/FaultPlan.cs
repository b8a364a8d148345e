using Microsoft.AspNetCore.Http;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// Faults per route, reproducible from a seed. Google's APIs answer 429 and 5xx in bursts (overload, a backend
/// restarting) and ask clients to retry with exponential backoff: "If you receive a 5xx response code, then retry the
/// request later ... use exponential backoff" (https://cloud.google.com/bigquery/docs/error-messages, backendError) and
/// https://cloud.google.com/storage/docs/retry-strategy (429 and 5xx are retryable). A burst answers several consecutive
/// requests of its route with an error; a fault "after serving" applies the request and loses the answer, the ambiguous
/// case a retried create-only write or job insert must survive (the retry then sees 412 or 409).
/// </summary>
public sealed class FaultPlan(int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();
    private readonly List<Rule> _rules = [];
    private readonly Dictionary<string, TimeSpan> _slow = new(StringComparer.Ordinal);

    /// <summary>How many errors were injected, per route.</summary>
    public Dictionary<string, int> Injected { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers the next <paramref name="times"/> requests of <paramref name="route"/> with <paramref name="status"/>.</summary>
    public FaultPlan FailNext(string route, int status, int times = 1, bool afterServing = false)
    {
        lock (_lock) _rules.Add(new Rule(route, status, times, 1.0, afterServing) { Left = 1 });
        return this;
    }

    /// <summary>
    /// Bursts on <paramref name="route"/>: each request outside a burst starts one with <paramref name="probability"/>
    /// (seeded), and a burst answers <paramref name="length"/> consecutive requests with <paramref name="status"/>;
    /// at most <paramref name="maxBursts"/> bursts.
    /// </summary>
    public FaultPlan Bursts(string route, int status, int length, double probability, int maxBursts = int.MaxValue)
    {
        lock (_lock) _rules.Add(new Rule(route, status, length, probability, false) { Left = maxBursts });
        return this;
    }

    /// <summary>Every answer on <paramref name="route"/> waits <paramref name="delay"/> first (a slow backend).</summary>
    public FaultPlan Slow(string route, TimeSpan delay)
    {
        lock (_lock) _slow[route] = delay;
        return this;
    }

    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
            _slow.Clear();
        }
    }

    /// <summary>True when the request was answered with a fault (after serving it, for an "after serving" fault).</summary>
    internal async Task<bool> TryInjectAsync(string route, HttpContext ctx, StandInRequest request, Func<Task> serve)
    {
        TimeSpan delay;
        Rule? hit = null;
        lock (_lock)
        {
            delay = _slow.GetValueOrDefault(route);
            foreach (var rule in _rules.Where(r => r.Route == route))
            {
                if (rule.Remaining == 0 && rule.Left > 0 && _random.NextDouble() < rule.Probability)
                {
                    rule.Remaining = rule.Length;
                    rule.Left--;
                }
                if (rule.Remaining > 0)
                {
                    rule.Remaining--;
                    hit = rule;
                    Injected[route] = Injected.GetValueOrDefault(route) + 1;
                    break;
                }
            }
        }
        if (delay > TimeSpan.Zero) await Task.Delay(delay, ctx.RequestAborted);
        if (hit is null) return false;
        if (hit.AfterServing)
        {
            var original = ctx.Response.Body;
            ctx.Response.Body = new MemoryStream();
            await serve();
            ctx.Response.Body = original;
            ctx.Response.Clear();
        }
        if (hit.Status == 429) ctx.Response.Headers.RetryAfter = "0";
        await Problem.Write(ctx, hit.Status, hit.Status switch { 429 => "rateLimitExceeded", 503 => "backendError", _ => "internalError" },
            $"injected {hit.Status} on {route}");
        return true;
    }

    private sealed record Rule(string Route, int Status, int Length, double Probability, bool AfterServing)
    {
        public int Remaining { get; set; }
        public int Left { get; set; }
    }
}
