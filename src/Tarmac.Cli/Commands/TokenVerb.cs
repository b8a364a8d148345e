using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Cli.Commands;

/// <summary>
/// <c>tarmac token …</c>: mints a token with the local host's own <see cref="TokenCommand"/>, in this process, with the
/// same options and environment (<c>TARMAC_DATA_DIR</c>, or <c>--data-dir</c>). It signs with the key in that data folder, so
/// it is for an admin on the machine that holds the folder; on Google Cloud tokens come from the identity provider.
/// </summary>
public static class TokenVerb
{
    /// <summary>The command.</summary>
    public static Command Create(GlobalOptions g)
    {
        var command = new Command("token",
            "Admins: mint a token with the signing key of a local data folder. Options as the host's own token command: " +
            "--name <consumer> --scope upload|read|status|admin [--scope …] [--dataset <name> …] [--filter column=v1,v2 …] [--rps <n>] [--ttl 1h] [--data-dir <folder>]")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(r =>
        {
            // The host reads its settings from the environment; so does this, through the console's view of it.
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(g.Console.Environment).Build();
            var exit = TokenCommand.Run([TokenCommand.Verb, .. r.UnmatchedTokens], configuration, g.Console.Out, g.Console.Error);
            g.Console.Out.Flush();
            return exit;
        });
        return command;
    }
}
