using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Tarmac.Bench;

/// <summary>The same HTTP client for Tarmac and its anchors: N connections, each sending requests back to back for a fixed time.</summary>
public static class LoadClient
{
    /// <param name="Failures">Requests not answered 200, by status code (or the exception's type): what failed, not only how many.</param>
    public sealed record Outcome(long Ok, IReadOnlyDictionary<string, long> Failures, double PerSecond, double P50Ms, double P95Ms, double P99Ms, long LastResponseTimestamp)
    {
        public long Failed => Failures.Values.Sum();

        /// <summary>"0 failed", or "12 failed: 503 ×10, 429 ×2".</summary>
        public string FailedSummary => Failed == 0 ? "0 failed"
            : $"{Failed} failed: {string.Join(", ", Failures.OrderByDescending(f => f.Value).Select(f => $"{f.Key} ×{f.Value}"))}";
    }

    public static HttpClient CreateClient(Uri baseAddress, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
        { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Runs <paramref name="connections"/> workers for <paramref name="duration"/>; <paramref name="send"/> gets a global sequence number.</summary>
    public static async Task<Outcome> RunAsync(HttpClient http, int connections, TimeSpan duration, Func<HttpClient, long, Task<HttpResponseMessage>> send)
    {
        long sequence = 0, last = 0;
        var failures = new ConcurrentDictionary<string, long>();
        var latencies = new List<double>[connections];
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(1 << 16);
            while (clock.Elapsed < duration)
            {
                var n = Interlocked.Increment(ref sequence);
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await send(http, n);
                    await response.Content.LoadIntoBufferAsync();
                    if (response.StatusCode != HttpStatusCode.OK) { failures.AddOrUpdate(((int)response.StatusCode).ToString(), 1, (_, n) => n + 1); continue; }
                }
                catch (HttpRequestException e) { failures.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1); continue; }
                var end = Stopwatch.GetTimestamp();
                mine.Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
                InterlockedMax(ref last, end);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Outcome(all.Length, failures, all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), last);
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while ((current = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
