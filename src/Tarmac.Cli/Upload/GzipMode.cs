namespace Tarmac.Cli.Upload;

/// <summary>When the CLI compresses a direct upload.</summary>
public enum GzipMode
{
    /// <summary>Files of at least 1 MiB sent to a host that is not on this machine (compression costs CPU and saves only network).</summary>
    Auto,

    /// <summary>Always (the server accepts <c>Content-Encoding: gzip</c>).</summary>
    Always,

    /// <summary>Never.</summary>
    Never,
}
