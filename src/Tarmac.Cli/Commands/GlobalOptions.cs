using System.CommandLine;
using Tarmac.Cli.Http;
using Tarmac.Cli.Upload;

namespace Tarmac.Cli.Commands;

/// <summary>
/// <c>--url</c> and <c>--token</c>, accepted by every subcommand, defaulting to <c>TARMAC_URL</c> and <c>TARMAC_TOKEN</c>
/// (a token on the command line shows in the shell history and the process list; the environment does not).
/// </summary>
public sealed class GlobalOptions
{
    /// <summary>Where the local host listens by default.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <param name="console">Where the environment is read.</param>
    public GlobalOptions(CliConsole console)
    {
        Console = console;
        Url = new Option<Uri>("--url")
        {
            Description = $"The Tarmac deployment (env TARMAC_URL; default {DefaultUrl}).",
            Recursive = true,
            DefaultValueFactory = r => console.Environment.GetValueOrDefault("TARMAC_URL") is not { Length: > 0 } env ? new Uri(DefaultUrl)
                : Uri.TryCreate(env, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
                : Fail<Uri>(r, $"TARMAC_URL must be an http(s) URL, not '{env}'."),
            CustomParser = r => Uri.TryCreate(r.Tokens[0].Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri : Fail<Uri>(r, $"--url takes an http(s) URL, not '{r.Tokens[0].Value}'."),
        };
        Token = new Option<string?>("--token")
        {
            Description = "A Tarmac token, sent as a bearer token (env TARMAC_TOKEN).",
            Recursive = true,
            DefaultValueFactory = _ => console.Environment.GetValueOrDefault("TARMAC_TOKEN"),
        };
    }

    /// <summary>The console the commands use.</summary>
    public CliConsole Console { get; }

    /// <summary><c>--url</c>.</summary>
    public Option<Uri> Url { get; }

    /// <summary><c>--token</c>.</summary>
    public Option<string?> Token { get; }

    /// <summary>How long a resumable upload waits before its first retry (tests shorten it).</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A client for the deployment the command line names.</summary>
    public TarmacClient Client(ParseResult r) => new(r.GetRequiredValue(Url), r.GetValue(Token));

    /// <summary>The progress display: a live bar on a terminal, plain lines otherwise.</summary>
    public ITransferDisplay Display() =>
        Console.ErrorIsTerminal ? new SpectreTransferDisplay(Console.Error) : new PlainTransferDisplay(Console.Error);

    internal static T Fail<T>(System.CommandLine.Parsing.ArgumentResult r, string message)
    {
        r.AddError(message);
        return default!;
    }
}
