using System.Diagnostics;

namespace Tarmac.BrowserTests;

/// <summary>
/// Debian's chromium package, run headless. The browser comes from apt-get (<c>.ci/run</c> installs it), never from a
/// download of its own. Without it a test is skipped, saying so, except under CI (<c>CI=true</c>), where it fails.
/// </summary>
public static class Chromium
{
    /// <summary>Where Debian's package installs the browser.</summary>
    public const string Path = "/usr/bin/chromium";

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>Skips the calling test when the browser is absent, or fails it under CI.</summary>
    public static void Require()
    {
        if (File.Exists(Path)) return;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"{Path} is missing under CI: .ci/run must install Debian's chromium (apt-get install chromium) before dotnet test.");
        Skip.If(true, $"{Path} is not installed (apt-get install chromium); the browser test needs Debian's chromium and runs under CI.");
    }

    /// <summary>Loads <paramref name="url"/>, lets its scripts run for <paramref name="budget"/> of virtual time, and returns the DOM they built.</summary>
    public static async Task<string> DumpDomAsync(Uri url, TimeSpan budget) =>
        await RunAsync("--dump-dom", $"--virtual-time-budget={(int)budget.TotalMilliseconds}", url.ToString());

    /// <summary>Loads <paramref name="url"/> in a window of <paramref name="width"/> by <paramref name="height"/> and saves a PNG of it.</summary>
    public static async Task ScreenshotAsync(Uri url, string file, int width, int height, TimeSpan budget) =>
        await RunAsync($"--screenshot={file}", $"--window-size={width},{height}", "--hide-scrollbars",
            $"--virtual-time-budget={(int)budget.TotalMilliseconds}", url.ToString());

    private static async Task<string> RunAsync(params string[] args)
    {
        var profile = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tarmac-chromium-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A throwaway profile, and nothing that reaches beyond the page under test.
        foreach (var a in new[] { "--headless", "--disable-gpu", $"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
                     "--disable-extensions", "--disable-sync", "--disable-background-networking", "--disable-component-update" })
            start.ArgumentList.Add(a);
        // Chromium refuses to run as root inside its sandbox; CI and this workplace run tests as root.
        if (Environment.UserName == "root") start.ArgumentList.Add("--no-sandbox");
        foreach (var a in args) start.ArgumentList.Add(a);

        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"{Path} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within {Limit.TotalSeconds} s: {await stderr}");
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
