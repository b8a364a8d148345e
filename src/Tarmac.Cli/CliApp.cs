using System.CommandLine;
using Tarmac.Cli.Commands;

namespace Tarmac.Cli;

/// <summary>The <c>tarmac</c> command line: its commands, and the entry point tests call in-process.</summary>
public static class CliApp
{
    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand Build(GlobalOptions g)
    {
        var root = new RootCommand("tarmac: upload CSV files to a Tarmac deployment and read its data. --url/TARMAC_URL and --token/TARMAC_TOKEN say where and as whom.")
        {
            g.Url,
            g.Token,
            UploadCommand.Create(g),
            StatusCommand.Create(g),
            QueryCommand.Create(g),
            StatsCommand.Create(g),
            DatasetsCommand.Create(g),
            TokenVerb.Create(g),
            GenerateCommand.Create(g),
        };
        return root;
    }

    /// <summary>Runs the command line <paramref name="args"/> against <paramref name="console"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken ct, TimeSpan? retryBase = null)
    {
        var g = new GlobalOptions(console) { RetryBase = retryBase ?? TimeSpan.FromMilliseconds(500) };
        var parsed = Build(g).Parse(args);
        var exit = await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, ct);
        await console.Out.FlushAsync(CancellationToken.None);
        return parsed.Errors.Count > 0 ? ExitCodes.Usage : exit;
    }
}
