using System.Text;

namespace Tarmac.Cli;

/// <summary>
/// Where the CLI reads settings and writes output: the real process console, or (in tests) streams and a dictionary.
/// Results go to <see cref="Out"/>; progress, notes and errors go to <see cref="Error"/>, so a pipe gets only data.
/// </summary>
public sealed class CliConsole
{
    /// <param name="output">Standard output as bytes (exports and generated files are written to it unchanged).</param>
    /// <param name="error">Standard error.</param>
    /// <param name="errorIsTerminal">Whether standard error is a terminal: then progress is a live bar, else plain lines.</param>
    /// <param name="outputIsTerminal">Whether standard output is a terminal (tables size themselves to it).</param>
    /// <param name="environment">The environment variables.</param>
    public CliConsole(Stream output, TextWriter error, bool errorIsTerminal, bool outputIsTerminal, IReadOnlyDictionary<string, string?> environment)
    {
        Output = output;
        Out = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        Error = error;
        ErrorIsTerminal = errorIsTerminal;
        OutputIsTerminal = outputIsTerminal;
        Environment = environment;
    }

    /// <summary>The process's own console and environment.</summary>
    public static CliConsole System() => new(
        global::System.Console.OpenStandardOutput(), global::System.Console.Error,
        !global::System.Console.IsErrorRedirected, !global::System.Console.IsOutputRedirected,
        global::System.Environment.GetEnvironmentVariables().Cast<global::System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal));

    /// <summary>Standard output as bytes; flush <see cref="Out"/> before writing here.</summary>
    public Stream Output { get; }

    /// <summary>Standard output as text (buffered; flushed when the command ends).</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>Whether standard error is a terminal.</summary>
    public bool ErrorIsTerminal { get; }

    /// <summary>Whether standard output is a terminal.</summary>
    public bool OutputIsTerminal { get; }

    /// <summary>The environment variables.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }
}
