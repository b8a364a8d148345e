using System.Diagnostics;

namespace Tarmac.PipelineTests;

/// <summary>Runs a ci/ script with bash from the repository root, for tests that execute the scripts themselves.</summary>
public static class Shell
{
    /// <summary>The result of one run.</summary>
    /// <param name="ExitCode">The script's exit code.</param>
    /// <param name="Stdout">Everything it printed on stdout.</param>
    /// <param name="Stderr">Everything it printed on stderr.</param>
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs <c>bash -c <paramref name="command"/></c> with extra environment variables; fails the test after a minute.</summary>
    public static Result Bash(string command, IReadOnlyDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bash -c '{command}' did not finish within a minute");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
