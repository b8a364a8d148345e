namespace Tarmac.Bench;

/// <summary>
/// Single-row uploads at 1, 16, 64 and 256 connections, each level for the same time, so the table shows where the
/// rate stops growing and the latency starts to: the saturation point of the host and of its anchor alike.
/// </summary>
public static class TakeoffCurve
{
    public static readonly int[] Levels = [1, 16, 64, 256];

    /// <summary>Runs every level against <paramref name="baseAddress"/>; <paramref name="send"/> gets the level's index and a sequence number.</summary>
    public static async Task<IReadOnlyList<(int Connections, LoadClient.Outcome Outcome)>> RunAsync(
        Uri baseAddress, TimeSpan perLevel, Func<HttpClient, int, long, Task<HttpResponseMessage>> send)
    {
        var results = new List<(int, LoadClient.Outcome)>();
        for (var level = 0; level < Levels.Length; level++)
        {
            var connections = Levels[level];
            using var http = LoadClient.CreateClient(baseAddress, connections);
            var index = level;
            results.Add((connections, await LoadClient.RunAsync(http, connections, perLevel, (c, n) => send(c, index, n))));
        }
        return results;
    }

    /// <summary>One table row per level: Tarmac beside the group-commit anchor at the same connection count.</summary>
    public static IEnumerable<(string, string, string, string, string)> Rows(
        IReadOnlyList<(int Connections, LoadClient.Outcome Outcome)> tarmac, IReadOnlyList<(int Connections, LoadClient.Outcome Outcome)> anchor) =>
        tarmac.Zip(anchor, (t, a) => (
            $"takeoffs at {t.Connections} connection{(t.Connections == 1 ? "" : "s")}: uploads/s, p50 / p95 / p99",
            $"{t.Outcome.PerSecond:N0}/s; {t.Outcome.P50Ms:F1} / {t.Outcome.P95Ms:F1} / {t.Outcome.P99Ms:F1} ms ({t.Outcome.FailedSummary})",
            $"{a.Outcome.PerSecond:N0}/s; {a.Outcome.P50Ms:F1} / {a.Outcome.P95Ms:F1} / {a.Outcome.P99Ms:F1} ms group-commit POST",
            $"{t.Outcome.PerSecond / a.Outcome.PerSecond:F2}×",
            t.Connections == 64 ? "≥ 10,000/s, p99 ≤ 20 ms" : ""));
}
