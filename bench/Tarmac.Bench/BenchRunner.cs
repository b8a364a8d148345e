using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Tarmac.DataGen;
using Tarmac.Testing;

namespace Tarmac.Bench;

/// <summary>Runs every measurement, prints the markdown table and writes it to RESULTS.md.</summary>
public static class BenchRunner
{
    private const string FilterQuery = "/getdata?carrier=UA&dep_delay__gt=60&sort=-dep_delay&limit=100";
    private const string StatsQuery = "/stats?group_by=carrier&metrics=count,avg:dep_delay";
    private const string FilterSql = "SELECT * FROM flights WHERE carrier = 'UA' AND dep_delay > 60 ORDER BY dep_delay DESC LIMIT 100";
    private const string StatsSql = "SELECT carrier, count(*), avg(dep_delay) FROM flights GROUP BY carrier ORDER BY carrier";

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var repo = FindRepo();
        var work = Path.Combine(Path.GetTempPath(), $"tarmac-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var rows = new List<(string Metric, string Tarmac, string Anchor, string Ratio, string Goal)>();
        try
        {
            if (!o.NoBuild) Build(repo);
            if (o.TakeoffsOnly) return await TakeoffsOnlyAsync(repo, work, o);
            var csv = Path.Combine(work, "flights.csv");
            Log($"generating {o.Rows:N0} rows");
            await using (var f = File.Create(csv)) new FlightsGenerator(42).Write(f, o.Rows);
            var fileBytes = new FileInfo(csv).Length;

            Log("anchor: DuckDB read_csv into an on-disk table");
            var anchorDb = Path.Combine(work, "anchor.duckdb");
            var anchorCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var anchorLoad = AnchorLoad(repo, anchorDb, csv);
            anchorCpu = Process.GetCurrentProcess().TotalProcessorTime - anchorCpu;

            long takeoffsOk, eventsOk;
            await using (var host = await HostProcess.StartAsync(repo, work, "host"))
            {
                rows.Add(("startup: process start → /readyz 200", Ms(host.Startup.TotalMilliseconds), "", "", "≤ 1 s"));
                using var http = LoadClient.CreateClient(host.BaseAddress, o.Connections);
                http.Timeout = TimeSpan.FromHours(1);

                Log($"bulk: POST {fileBytes / 1e6:F0} MB and wait until loaded");
                var bulkCpu = host.CpuTime();
                var bulk = await PostFileAsync(http, csv);
                bulkCpu = host.CpuTime() - bulkCpu;
                if (o.BulkOnly)
                {
                    // CPU seconds beside the wall time: on a shared machine they move less than the wall time does.
                    Console.WriteLine($"bulk {bulk.Seconds:F2} s ({bulk.Status}), DuckDB read_csv {anchorLoad.TotalSeconds:F2} s: {bulk.Seconds / anchorLoad.TotalSeconds:F2}×; " +
                                      $"CPU {bulkCpu.TotalSeconds:F1} s against {anchorCpu.TotalSeconds:F1} s");
                    if (!o.SkipMemory) Console.WriteLine(string.Join(" ", (await MemoryAsync(repo, work, o.MemoryBytes)).Item2));
                    return 0;
                }
                rows.Add(($"bulk: {o.Rows:N0}-row file ({fileBytes / 1e6:F0} MB) POST → loaded",
                    $"{bulk.Seconds:F2} s ({o.Rows / bulk.Seconds / 1e6:F2} M rows/s, {bulk.Status})",
                    $"{anchorLoad.TotalSeconds:F2} s (DuckDB read_csv)", $"{bulk.Seconds / anchorLoad.TotalSeconds:F2}×", "≤ 1.5×"));

                Log("query");
                rows.AddRange(await QueriesAsync(http, anchorDb));

                Log($"takeoffs: {o.Connections} connections × {o.Seconds} s of single-row uploads");
                var header = FlightsGenerator.Header + "\n";
                var warmTakeoffs = await WarmUpAsync(http, o, 1, WarmupTakeoff);
                var takeoffCpu = host.CpuTime();
                var takeoffs = await LoadClient.RunAsync(http, o.Connections, TimeSpan.FromSeconds(o.Seconds), Takeoff);
                takeoffCpu = host.CpuTime() - takeoffCpu;
                Log($"takeoffs curve: {string.Join(", ", TakeoffCurve.Levels)} connections × {o.CurveSeconds} s each");
                var curve = await TakeoffCurve.RunAsync(host.BaseAddress, TimeSpan.FromSeconds(o.CurveSeconds), (c, level, n) =>
                    c.PostAsync("/upload", new StringContent(header + Row(CurveId(level, n)), Encoding.UTF8, "text/csv")));
                takeoffsOk = warmTakeoffs + takeoffs.Ok + curve.Sum(l => l.Outcome.Ok);
                var queryable = await UntilProcessedAsync(http, 1 + takeoffsOk, curve[^1].Outcome.LastResponseTimestamp);
                Log(await LoadsAsync(http));

                Log($"events: {o.Connections} connections × {o.Seconds} s of single-record JSON events");
                var warmEvents = await WarmUpAsync(http, o, 1 + takeoffsOk, (c, n) =>
                    c.PostAsync("/events", new StringContent(Event(6_000_000_000 + n), Encoding.UTF8, "application/json")));
                var events = await LoadClient.RunAsync(http, o.Connections, TimeSpan.FromSeconds(o.Seconds), (c, n) =>
                    c.PostAsync("/events", new StringContent(Event(30_000_000_000 + n), Encoding.UTF8, "application/json")));
                eventsOk = warmEvents + events.Ok;
                var eventsQueryable = await UntilProcessedAsync(http, 1 + takeoffsOk + eventsOk, events.LastResponseTimestamp);

                Log("anchors: minimal Kestrel GET, write-a-file, write-and-flush and group-commit POSTs, same client");
                await using var anchor = await AnchorServer.StartAsync(Path.Combine(work, "anchor-files"));
                using var anchorHttp = LoadClient.CreateClient(anchor.BaseAddress, o.Connections);
                if (o.WarmupSeconds > 0)
                    await LoadClient.RunAsync(anchorHttp, o.Connections, TimeSpan.FromSeconds(o.WarmupSeconds), (c, n) =>
                        c.PostAsync("/group-file", new StringContent(header + Row(5_000_000_000 + n), Encoding.UTF8, "text/csv")));
                var gets = await LoadClient.RunAsync(anchorHttp, o.Connections, TimeSpan.FromSeconds(o.Seconds), (c, _) => c.GetAsync("/ping"));
                var files = await LoadClient.RunAsync(anchorHttp, o.Connections, TimeSpan.FromSeconds(o.Seconds), (c, n) =>
                    c.PostAsync("/file", new StringContent(header + Row(n), Encoding.UTF8, "text/csv")));
                var durable = await LoadClient.RunAsync(anchorHttp, o.Connections, TimeSpan.FromSeconds(o.Seconds), (c, n) =>
                    c.PostAsync("/durable-file", new StringContent(header + Row(n), Encoding.UTF8, "text/csv")));
                var group = await LoadClient.RunAsync(anchorHttp, o.Connections, TimeSpan.FromSeconds(o.Seconds), (c, n) =>
                    c.PostAsync("/group-file", new StringContent(header + Row(n), Encoding.UTF8, "text/csv")));
                var perGroup = anchor.BodiesPerGroup;
                var anchorCurve = await TakeoffCurve.RunAsync(anchor.BaseAddress, TimeSpan.FromSeconds(o.CurveSeconds), (c, level, n) =>
                    c.PostAsync("/group-file", new StringContent(header + Row(CurveId(level, n)), Encoding.UTF8, "text/csv")));
                rows.Add(("takeoffs: single-row uploads/s", $"{takeoffs.PerSecond:N0}/s ({takeoffs.FailedSummary}; host CPU {PerTakeoff(takeoffCpu, takeoffs)})",
                    $"{group.PerSecond:N0}/s group-commit POST ({perGroup:F1} bodies a flush); {durable.PerSecond:N0}/s write-and-flush-a-file POST; " +
                    $"{files.PerSecond:N0}/s write-a-file POST; {gets.PerSecond:N0}/s trivial GET",
                    $"{takeoffs.PerSecond / group.PerSecond:F2}× of group-commit POST, {takeoffs.PerSecond / durable.PerSecond:F2}× of durable file POST", "≥ 10,000/s"));
                rows.Add(("takeoffs: latency p50 / p95 / p99", $"{takeoffs.P50Ms:F1} / {takeoffs.P95Ms:F1} / {takeoffs.P99Ms:F1} ms",
                    $"{group.P50Ms:F1} / {group.P95Ms:F1} / {group.P99Ms:F1} ms group-commit POST; {durable.P50Ms:F1} / {durable.P95Ms:F1} / {durable.P99Ms:F1} ms durable file POST; " +
                    $"{files.P50Ms:F1} / {files.P95Ms:F1} / {files.P99Ms:F1} ms file POST", "", "p99 ≤ 20 ms"));
                rows.AddRange(TakeoffCurve.Rows(curve, anchorCurve));
                rows.Add(("takeoffs: last response → every row queryable", queryable is { } q ? Ms(q.TotalMilliseconds) : "timed out", "", "", "≤ 1 s"));
                rows.Add(("events: single-record JSON POSTs/s (`/events`)", $"{events.PerSecond:N0}/s ({events.FailedSummary})",
                    $"{durable.PerSecond:N0}/s write-and-flush-a-file POST", $"{events.PerSecond / takeoffs.PerSecond:F2}× of CSV takeoffs, {events.PerSecond / durable.PerSecond:F2}× of durable file POST", "≥ 10,000/s"));
                rows.Add(("events: latency p50 / p95 / p99", $"{events.P50Ms:F1} / {events.P95Ms:F1} / {events.P99Ms:F1} ms",
                    $"{takeoffs.P50Ms:F1} / {takeoffs.P95Ms:F1} / {takeoffs.P99Ms:F1} ms CSV takeoffs", "", "p99 ≤ 20 ms"));
                rows.Add(("events: last response → every row queryable", eventsQueryable is { } eq ? Ms(eq.TotalMilliseconds) : "timed out", "", "", "≤ 1 s"));
            }
            var loaded = CountRows(Path.Combine(work, "host", "warehouse.duckdb"));
            var expected = o.Rows + takeoffsOk + eventsOk;
            rows.Add(("check: rows in the warehouse after the run", $"{loaded:N0}", $"{expected:N0} expected", loaded == expected ? "exact" : "MISMATCH", "exact"));
            File.Delete(csv);

            if (!o.SkipMemory) rows.Add(await MemoryAsync(repo, work, o.MemoryBytes));
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }

        var table = Render(rows, o);
        Console.WriteLine(table);
        if (o.Results is not null)
        {
            var path = Path.IsPathRooted(o.Results) ? o.Results : Path.Combine(repo, o.Results);
            var notes = File.Exists(path) ? ExistingNotes(File.ReadAllText(path)) : "";
            await File.WriteAllTextAsync(path, table + notes);
            Log($"wrote {path}");
        }
        return 0;
    }

    /// <summary>Only the takeoff run, for profiling: the host's pid is printed first, so a profiler can attach to it.</summary>
    private static async Task<int> TakeoffsOnlyAsync(string repo, string work, BenchOptions o)
    {
        await using var host = await HostProcess.StartAsync(repo, work, "host");
        Log($"host pid {host.Pid}; takeoffs: {o.Connections} connections × {o.Seconds} s");
        using var http = LoadClient.CreateClient(host.BaseAddress, o.Connections);
        long preloaded = 0;
        if (o.PreloadRows > 0)
        {
            // The full run's takeoffs follow its bulk load: a warehouse that already holds a large table.
            var csv = Path.Combine(work, "preload.csv");
            await using (var f = File.Create(csv)) new FlightsGenerator(42).Write(f, o.PreloadRows);
            http.Timeout = TimeSpan.FromHours(1);
            var (seconds, status) = await PostFileAsync(http, csv);
            Log($"preloaded {o.PreloadRows:N0} rows in {seconds:F1} s ({status})");
            File.Delete(csv);
            preloaded = 1;
        }
        var warm = await WarmUpAsync(http, o, preloaded, WarmupTakeoff);
        var cpu = host.CpuTime();
        var t = await LoadClient.RunAsync(http, o.Connections, TimeSpan.FromSeconds(o.Seconds), Takeoff);
        cpu = host.CpuTime() - cpu;
        Console.WriteLine($"takeoffs {t.PerSecond:N0}/s ({t.FailedSummary}), p50 / p95 / p99 {t.P50Ms:F1} / {t.P95Ms:F1} / {t.P99Ms:F1} ms; host CPU {PerTakeoff(cpu, t)}");
        Console.WriteLine($"not yet loaded at the last response: {preloaded + warm + t.Ok - await ProcessedAsync(http):N0}");
        var queryable = await UntilProcessedAsync(http, preloaded + warm + t.Ok, t.LastResponseTimestamp);
        Console.WriteLine(await LoadsAsync(http));
        Console.WriteLine($"queryable after {queryable?.TotalMilliseconds:F0} ms");
        return 0;
    }

    /// <summary>
    /// Sends <paramref name="post"/> for the warm-up seconds, uncounted, then in rounds of <see cref="WarmupRound"/> for as
    /// long as the host's JIT is still busy (its <c>dotnet_jit_compiled_methods_total</c> grew by more than
    /// <see cref="JitSettled"/> in the last round), up to <see cref="WarmupLimit"/>; then waits until the host has processed
    /// them (on top of the <paramref name="processedBefore"/> uploads it had). A measurement then starts on a host whose hot
    /// paths are compiled and with no backlog of its own warm-up. On 2 cores, tiered compilation of a fresh host kept its
    /// compiler thread at a fifth of the host's CPU for 35-40 s of takeoffs, so a fixed 15 s warm-up measured the JIT.
    /// Returns the uploads acknowledged, whose rows the row check counts.
    /// </summary>
    private static async Task<long> WarmUpAsync(HttpClient http, BenchOptions o, long processedBefore, Func<HttpClient, long, Task<HttpResponseMessage>> post)
    {
        if (o.WarmupSeconds <= 0) return 0;
        var clock = Stopwatch.StartNew();
        var warm = await LoadClient.RunAsync(http, o.Connections, TimeSpan.FromSeconds(o.WarmupSeconds), post);
        var ok = warm.Ok;
        var last = warm.LastResponseTimestamp;
        for (var round = 1; clock.Elapsed < WarmupLimit; round++)
        {
            var jit = await JitCompiledAsync(http);
            // Each round's bodies take their own range of numbers: a body sent twice would be a duplicate, not a row.
            var offset = round * WarmupRoundNumbers;
            var more = await LoadClient.RunAsync(http, o.Connections, WarmupRound, (c, n) => post(c, offset + n));
            ok += more.Ok;
            last = more.LastResponseTimestamp;
            var compiled = await JitCompiledAsync(http) - jit;
            if (compiled <= JitSettled)
            {
                Log($"warm-up: {clock.Elapsed.TotalSeconds:F0} s (JIT settled: {compiled} methods compiled in the last {WarmupRound.TotalSeconds:F0} s)");
                break;
            }
        }
        await UntilProcessedAsync(http, processedBefore + ok, last);
        return ok;
    }

    private static readonly TimeSpan WarmupRound = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan WarmupLimit = TimeSpan.FromSeconds(90);

    /// <summary>Methods a warm-up round may still compile for the JIT to count as settled.</summary>
    private const long JitSettled = 50;

    /// <summary>Far more bodies than a round can send, so rounds never reuse a number.</summary>
    private const long WarmupRoundNumbers = 10_000_000;

    /// <summary>The host's count of methods (re)compiled by the JIT, from the runtime's metrics.</summary>
    private static Task<long> JitCompiledAsync(HttpClient http) => CounterAsync(http, "dotnet_jit_compiled_methods_total");

    /// <summary>A warm-up CSV takeoff: ids apart from every measured range.</summary>
    private static Task<HttpResponseMessage> WarmupTakeoff(HttpClient c, long n) =>
        c.PostAsync("/upload", new StringContent(FlightsGenerator.Header + "\n" + Row(5_000_000_000 + n), Encoding.UTF8, "text/csv"));

    /// <summary>The main run's CSV takeoff number <paramref name="n"/>: its ids are apart from the curve's and the events'.</summary>
    private static Task<HttpResponseMessage> Takeoff(HttpClient c, long n) =>
        c.PostAsync("/upload", new StringContent(FlightsGenerator.Header + "\n" + Row(10_000_000_000 + n), Encoding.UTF8, "text/csv"));

    /// <summary>The host's CPU time per answered takeoff (its load included, as far as it kept up), and its cores in use.</summary>
    private static string PerTakeoff(TimeSpan cpu, LoadClient.Outcome outcome) =>
        $"{cpu.TotalMicroseconds / Math.Max(1, outcome.Ok):F0} µs a takeoff, {cpu.TotalSeconds / Math.Max(1e-9, outcome.Ok / outcome.PerSecond):F2} cores";

    private static string Render(List<(string Metric, string Tarmac, string Anchor, string Ratio, string Goal)> rows, BenchOptions o)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Tarmac benchmark results").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; " +
                      $"`--rows {o.Rows} --seconds {o.Seconds} --connections {o.Connections} --curve-seconds {o.CurveSeconds}`{(o.SkipMemory ? " --skip-memory" : "")}. Command: `dotnet run -c Release --project bench/Tarmac.Bench`.").AppendLine();
        sb.AppendLine("| Measure | Tarmac | Anchor (same run) | Ratio | Goal |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var r in rows) sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Metric} | {r.Tarmac} | {r.Anchor} | {r.Ratio} | {r.Goal} |");
        return sb.ToString();
    }

    private const string NotesMarker = "\n## Notes";

    private static string ExistingNotes(string text) => text.IndexOf(NotesMarker, StringComparison.Ordinal) is var i and >= 0 ? text[i..] : "";

    private static async Task<(double Seconds, string Status)> PostFileAsync(HttpClient http, string path)
    {
        var clock = Stopwatch.StartNew();
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var content = new StreamContent(file, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var response = await http.PostAsync("/upload?wait=true", content);
        var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var seconds = clock.Elapsed.TotalSeconds;
        var status = doc.RootElement.TryGetProperty("status", out var s) ? s.GetString()! : $"HTTP {(int)response.StatusCode}";
        return (seconds, status);
    }

    private static async Task<IEnumerable<(string, string, string, string, string)>> QueriesAsync(HttpClient http, string anchorDb)
    {
        var probe = await http.GetAsync(StatsQuery);
        if (probe.StatusCode != HttpStatusCode.OK)
            return [("query: filtered, sorted page", "n/a (query API not merged)", "", "", "≤ 1.5× + HTTP"), ("query: group-by", "n/a (query API not merged)", "", "", "≤ 1.5× + HTTP")];
        var result = new List<(string, string, string, string, string)>();
        using var c = new DuckDBConnection($"Data Source={anchorDb}");
        c.Open();
        // The API's page is ordered by its sort and then (_upload_id, _line), so that paging is stable; the anchor is the plain SQL without them.
        foreach (var (name, url, sql, anchor) in new[] { ("query: filtered, sorted page", FilterQuery, FilterSql, "plain SQL on DuckDB, no tie-breakers"), ("query: group-by", StatsQuery, StatsSql, "same SQL on DuckDB") })
        {
            // Interleaved, one API request then one direct statement: this machine's speed drifts by tens of percent from one
            // minute to the next, and timing one side after the other measured the drift as often as the difference.
            var (api, direct) = await TimeInterleavedAsync(async () => (await http.GetAsync(url)).EnsureSuccessStatusCode(), () =>
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = sql;
                using var r = cmd.ExecuteReader();
                while (r.Read()) { }
                return Task.CompletedTask;
            });
            result.Add(($"{name} p50 / p95 (`{url}`)", $"{api.P50:F1} / {api.P95:F1} ms", $"{direct.P50:F1} / {direct.P95:F1} ms ({anchor}, interleaved)", $"{api.P50 / direct.P50:F2}×", "≤ 1.5× + HTTP"));
        }
        return result;
    }

    private static async Task<((double P50, double P95) A, (double P50, double P95) B)> TimeInterleavedAsync(Func<Task> a, Func<Task> b)
    {
        for (var i = 0; i < 3; i++) { await a(); await b(); }
        var sa = new double[40];
        var sb = new double[sa.Length];
        for (var i = 0; i < sa.Length; i++)
        {
            sa[i] = await ElapsedMsAsync(a);
            sb[i] = await ElapsedMsAsync(b);
        }
        Array.Sort(sa);
        Array.Sort(sb);
        return ((LoadClient.Percentile(sa, 0.5), LoadClient.Percentile(sa, 0.95)), (LoadClient.Percentile(sb, 0.5), LoadClient.Percentile(sb, 0.95)));
    }

    private static async Task<double> ElapsedMsAsync(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>The host's processed-uploads counter (every outcome: loaded, partly loaded, rejected, failed).</summary>
    private static Task<long> ProcessedAsync(HttpClient http) => CounterAsync(http, "tarmac_uploads_processed_total");

    /// <summary>A counter of the host's <c>/metrics</c>, summed over its series.</summary>
    private static async Task<long> CounterAsync(HttpClient http, string name)
    {
        var text = await http.GetStringAsync("/metrics");
        return (long)text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Polls /metrics until the processed-uploads counter reaches <paramref name="expected"/>; returns the time since <paramref name="since"/>.</summary>
    private static async Task<TimeSpan?> UntilProcessedAsync(HttpClient http, long expected, long since)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            var processed = await ProcessedAsync(http);
            if (processed >= expected) return Stopwatch.GetElapsedTime(since);
            await Task.Delay(10);
        }
        return null;
    }

    private static async Task<(string, string, string, string, string)> MemoryAsync(string repo, string work, long bytes)
    {
        var rowsFor = bytes / 128;
        var big = Path.Combine(work, "big.csv");
        Log($"memory: generating ~{bytes >> 20} MB ({rowsFor:N0} rows)");
        await using (var f = File.Create(big)) new FlightsGenerator(7).Write(f, rowsFor);
        var size = new FileInfo(big).Length;
        await using var host = await HostProcess.StartAsync(repo, work, "memory");
        using var http = LoadClient.CreateClient(host.BaseAddress, 1);
        http.Timeout = TimeSpan.FromHours(1);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested) { peak = Math.Max(peak, host.PeakRss()); await Task.Delay(100); }
        });
        var (seconds, status) = await PostFileAsync(http, big);
        await sampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, host.PeakRss());
        File.Delete(big);
        return ($"memory: peak RSS (VmHWM) while a {size / 1e6:F0} MB file is uploaded and loaded", $"{peak / 1e6:F0} MB ({status} in {seconds:F1} s)", "", "", "≤ 300 MB");
    }

    private static TimeSpan AnchorLoad(string repo, string db, string csv)
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo, "schemas", "flights.json")));
        var columns = string.Join(", ", schema.RootElement.EnumerateArray().Select(c =>
            $"'{c.GetProperty("name").GetString()}': '{c.GetProperty("type").GetString() switch { "INTEGER" => "BIGINT", "FLOAT" => "DOUBLE", "TIMESTAMP" => "TIMESTAMP", _ => "VARCHAR" }}'"));
        using var c = new DuckDBConnection($"Data Source={db}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"CREATE TABLE flights AS FROM read_csv('{csv}', header = true, auto_detect = false, columns = {{{columns}}}); CHECKPOINT;";
        var clock = Stopwatch.StartNew();
        cmd.ExecuteNonQuery();
        return clock.Elapsed;
    }

    private static long CountRows(string db)
    {
        using var c = new DuckDBConnection($"Data Source={db}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM flights";
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Ids of the curve's takeoffs: a range per level, apart from the main run's, so no two bodies are alike (alike bodies are duplicates).</summary>
    private static long CurveId(int level, long n) => 20_000_000_000 + level * 1_000_000_000L + n;

    private static string Row(long id) =>
        $"{id},2013,1,1,517.0,515,2.0,830.0,819,11.0,UA,1545,N14228,EWR,IAH,227.0,1400,5,15,2013-01-01 05:00:00,United Air Lines Inc.\n";

    /// <summary>The takeoff of <see cref="Row"/> as one JSON record, the way an airport system would send it.</summary>
    private static string Event(long id) =>
        $$"""{"id":{{id}},"year":2013,"month":1,"day":1,"dep_time":517,"sched_dep_time":515,"dep_delay":2.0,"arr_time":830,"sched_arr_time":819,"arr_delay":11.0,"carrier":"UA","flight":"1545","tailnum":"N14228","origin":"EWR","dest":"IAH","air_time":227.0,"distance":1400,"hour":5,"minute":15,"time_hour":"2013-01-01T05:00:00Z","name":"United Air Lines Inc."}""";

    private static string Ms(double ms) => ms >= 1000 ? $"{ms / 1000:F2} s" : $"{ms:F0} ms";

    private static void Build(string repo)
    {
        Log($"publishing Tarmac.Local (Release, ReadyToRun) to {HostProcess.PublishFolder(repo)}");
        using var p = Process.Start(new ProcessStartInfo("dotnet", HostProcess.PublishArgs(repo)) { UseShellExecute = false })!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("dotnet publish of Tarmac.Local failed");
    }

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tarmac.slnx"))) return d.FullName;
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tarmac.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("Run from inside the Tarmac repository.");
    }

    /// <summary>
    /// The host's load transactions so far, from its <c>/metrics</c>: how many, their mean duration, the commits that took
    /// over 250 ms and over 1 s (a checkpoint runs inside a commit), and the uploads refused because loads were behind.
    /// </summary>
    private static async Task<string> LoadsAsync(HttpClient http)
    {
        var m = await http.GetStringAsync("/metrics");
        double Sample(string name, params string[] labels) => PrometheusText.Sum(m, name, labels);
        var n = Sample("tarmac_load_duration_seconds_count", "committed=\"true\"");
        var commits = Sample("tarmac_load_commit_duration_seconds_count");
        return string.Create(CultureInfo.InvariantCulture,
            $"loads: {n:N0} transactions, mean {1000 * Sample("tarmac_load_duration_seconds_sum", "committed=\"true\"") / n:F1} ms; " +
            $"commits over 250 ms {commits - Sample("tarmac_load_commit_duration_seconds_bucket", "le=\"0.25\""):N0}, " +
            $"over 1 s {commits - Sample("tarmac_load_commit_duration_seconds_bucket", "le=\"1\""):N0}; " +
            $"refused while loads were behind {Sample("tarmac_uploads_refused_total", "reason=\"loads_behind\""):N0}");
    }

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
