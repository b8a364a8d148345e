using System.Diagnostics;
using System.Net;

namespace Tarmac.Bench;

/// <summary>The same HTTP client for Tarmac and its anchors: N connections, each sending requests back to back for a fixed time.</summary>
public static class LoadClient
{
    public sealed record Outcome(long Ok, long Failed, double PerSecond, double P50Ms, double P95Ms, double P99Ms, long LastResponseTimestamp);

    public static HttpClient CreateClient(Uri baseAddress, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
        { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Runs <paramref name="connections"/> workers for <paramref name="duration"/>; <paramref name="send"/> gets a global sequence number.</summary>
    public static async Task<Outcome> RunAsync(HttpClient http, int connections, TimeSpan duration, Func<HttpClient, long, Task<HttpResponseMessage>> send)
    {
        long sequence = 0, failed = 0, last = 0;
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
                    if (response.StatusCode != HttpStatusCode.OK) { Interlocked.Increment(ref failed); continue; }
                }
                catch (HttpRequestException) { Interlocked.Increment(ref failed); continue; }
                var end = Stopwatch.GetTimestamp();
                mine.Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
                InterlockedMax(ref last, end);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Outcome(all.Length, failed, all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), last);
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while ((current = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
