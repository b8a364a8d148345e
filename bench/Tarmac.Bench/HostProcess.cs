using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tarmac.Bench;

/// <summary>
/// Tarmac.Local as a separate process on a free port with a fresh data folder: the copy <see cref="PublishArgs"/> publishes
/// (Release, ReadyToRun, framework-dependent), started as <c>dotnet Tarmac.Local.dll</c> like the Cloud Run images start theirs.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, Uri baseAddress, string dataDir)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDir = dataDir;
    }

    public Uri BaseAddress { get; }
    public string DataDir { get; }
    public int Pid => _process.Id;

    /// <summary>Time from process start to the first <c>/readyz</c> 200.</summary>
    public TimeSpan Startup { get; private set; }

    /// <summary>Where the bench publishes the host (under the ignored <c>artifacts/</c>), relative to the repository.</summary>
    public static string PublishFolder(string repo) => Path.Combine(repo, "artifacts", "bench", "host");

    /// <summary>
    /// <c>dotnet publish</c> of Tarmac.Local as the Cloud Run images publish theirs (src/Dockerfile): ReadyToRun, so the
    /// process starts on precompiled code instead of JIT-compiling Tarmac's and its packages' startup path. Its own
    /// <c>--artifacts-path</c> keeps this RID-specific build out of <c>src/*/bin</c> and <c>obj</c>, so it never invalidates
    /// the ordinary Release build that the tests use.
    /// </summary>
    public static string[] PublishArgs(string repo) =>
    [
        "publish", Path.Combine(repo, "src", "Tarmac.Local"), "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier,
        "--no-self-contained", "-p:PublishReadyToRun=true", "-p:UseAppHost=false",
        "--artifacts-path", Path.Combine(repo, "artifacts", "bench", "build"), "-o", PublishFolder(repo), "--nologo", "-v", "q",
    ];

    public static async Task<HostProcess> StartAsync(string repo, string workDir, string name)
    {
        var dll = Path.Combine(PublishFolder(repo), "Tarmac.Local.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: run the bench without --no-build once to publish it.");
        var dataDir = Path.Combine(workDir, name);
        Directory.CreateDirectory(dataDir);
        var port = FreePort();
        // The host's console goes straight to a file, as an operator's redirect would send it: read through a pipe by this
        // process, its two lines a takeoff cost the client a line callback each, on the cores the host is measured on.
        // exec: the process is the host itself (its pid, CPU time and RSS), not a shell around it.
        var psi = new ProcessStartInfo("/bin/sh", ["-c", "exec dotnet \"$0\" >> \"$1\" 2>&1", dll, Path.Combine(workDir, name + ".log")])
        {
            UseShellExecute = false, WorkingDirectory = dataDir,
        };
        psi.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["TARMAC_DATA_DIR"] = dataDir;
        psi.Environment["TARMAC_SCHEMAS"] = Path.Combine(repo, "schemas");
        psi.Environment["TARMAC_WAIT_TIMEOUT_SECONDS"] = "3600";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var clock = Stopwatch.StartNew();
        var process = Process.Start(psi)!;
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{port}"), dataDir);
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"Tarmac.Local exited with {process.ExitCode}; see {name}.log");
            try
            {
                if ((await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (clock.Elapsed > TimeSpan.FromMinutes(1)) throw new TimeoutException("Tarmac.Local did not become ready within a minute.");
            await Task.Delay(5);
        }
        host.Startup = clock.Elapsed;
        return host;
    }

    /// <summary>Peak resident set size of the host (VmHWM), in bytes.</summary>
    public long PeakRss()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return -1;
    }

    /// <summary>CPU time the host has used so far, user and system.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
