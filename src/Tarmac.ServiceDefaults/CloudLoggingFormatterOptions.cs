using Microsoft.Extensions.Logging.Console;

namespace Tarmac.ServiceDefaults;

/// <summary>Settings of <see cref="CloudLoggingFormatter"/>.</summary>
public sealed class CloudLoggingFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>
    /// The Google Cloud project whose Cloud Trace the log lines link to: <c>TARMAC_GCP_PROJECT</c>, else
    /// <c>GOOGLE_CLOUD_PROJECT</c>.
    /// </summary>
    public string? ProjectId { get; set; }
}
