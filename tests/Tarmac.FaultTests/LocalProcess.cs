using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tarmac.FaultTests;

/// <summary>
/// Tarmac.Local as a real operating-system process (<c>dotnet Tarmac.Local.dll</c> from its build output) with its own data
/// folder and loopback port, so a test can kill it with SIGKILL mid-request, or stop it with SIGTERM, and start it again.
/// </summary>
internal sealed partial class LocalProcess : IDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private LocalProcess(System.Diagnostics.Process process, int port)
    {
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>A client whose base address is the process's loopback URL.</summary>
    public HttpClient Http { get; }

    /// <summary>The operating-system process id (to read <c>/proc/&lt;pid&gt;/status</c>).</summary>
    public int Id => _process.Id;

    /// <summary>The lines the process wrote to its standard output so far (its console log).</summary>
    public IReadOnlyList<string> OutputLines => _output.ToArray();

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts the host on <paramref name="dataDir"/> and returns once <c>/healthz</c> answers. It logs at Warning unless
    /// <paramref name="env"/> says otherwise; an empty value there removes the variable (so the host's own default applies).
    /// </summary>
    public static async Task<LocalProcess> StartAsync(string dataDir, string schemaDir, IReadOnlyDictionary<string, string>? env = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet", [LocalDll()])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(LocalDll())!,
        };
        info.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["TARMAC_DATA_DIR"] = dataDir;
        info.Environment["TARMAC_SCHEMAS"] = schemaDir;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            if (v.Length == 0) info.Environment.Remove(k);
            else info.Environment[k] = v;
        }
        var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        // Drain both pipes, or a chatty host blocks on a full pipe; keep standard output for the log checks and the last
        // lines of both for a failure message.
        var host = new LocalProcess(process, port);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) host._output.Enqueue(e.Data);
            host.Keep(e.Data);
        };
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"Tarmac.Local exited with {process.ExitCode} while starting on {dataDir}.");
            try
            {
                using var r = await host.Http.GetAsync("/healthz", cts.Token);
                if (r.IsSuccessStatusCode) return host;
            }
            catch (HttpRequestException) { }
            await Task.Delay(50, cts.Token); // polling for the port to answer
        }
    }

    private readonly Queue<string> _lastLines = new();

    /// <summary>The last 200 lines the host wrote (its log runs at Warning and up).</summary>
    public IReadOnlyList<string> LastLines
    {
        get { lock (_lastLines) return [.. _lastLines]; }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 200) _lastLines.Dequeue();
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or a power cut of the process.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, then waits for the process to end on its own.</summary>
    public async Task TerminateAsync()
    {
        if (OperatingSystem.IsWindows()) { Kill(); return; }
        _ = SendSignal(_process.Id, 15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
    }

    public void Dispose()
    {
        Kill();
        Http.Dispose();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The built Tarmac.Local.dll of the same configuration as this test assembly.</summary>
    private static string LocalDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = bin.Name;
        var configuration = bin.Parent!.Name;
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Tarmac.slnx"))) root = root.Parent;
        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Tarmac.slnx not found above the test output"),
            "src", "Tarmac.Local", "bin", configuration, framework, "Tarmac.Local.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build Tarmac.Local first (it is a project reference).", dll);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
