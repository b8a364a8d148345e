using System.Text;
using Tarmac.Cli;
using Tarmac.Testing;

namespace Tarmac.Cli.Tests;

/// <summary>What one run of the CLI printed and returned.</summary>
public sealed record CliResult(int Exit, string Out, string Err)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Runs the CLI in-process, as its Program.cs does, with standard output and error captured (neither a terminal).</summary>
public static class Cli
{
    public static Task<CliResult> RunAsync(TarmacHost host, params string[] args) =>
        RunAsync(new Dictionary<string, string?> { ["TARMAC_URL"] = host.Http.BaseAddress!.ToString() }, args);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var console = new CliConsole(stdout, stderr, errorIsTerminal: false, outputIsTerminal: false, environment);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var exit = await CliApp.RunAsync(args, console, timeout.Token, retryBase: TimeSpan.FromMilliseconds(10));
        return new CliResult(exit, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    /// <summary>Writes <paramref name="text"/> to a new temporary file named <paramref name="name"/>; returns its path.</summary>
    public static string File(string name, string text) => File(name, Encoding.UTF8.GetBytes(text));

    public static string File(string name, byte[] bytes)
    {
        var path = Path.Combine(TempDirs.Create("tarmac-cli"), name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }
}
