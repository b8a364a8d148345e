using Microsoft.Extensions.Logging;

namespace Tarmac.Embedded;

/// <summary>What opening the segments found that an operator should know of.</summary>
internal static partial class SegmentLogMessages
{
    /// <summary>Logs the torn tails cut and the damaged bytes skipped when <paramref name="log"/> was opened.</summary>
    public static void ReportOpen(ILogger logger, SegmentLog log, string root)
    {
        // A torn tail is what a crash mid-append leaves (never acknowledged): expected after a kill, worth a line.
        if (log.TruncatedBytes > 0) LogTornTail(logger, log.TruncatedBytes, root);
        // Damage between whole records is not explained by a crash: the disk or someone changed acknowledged bytes.
        if (log.DamagedBytes > 0) LogDamaged(logger, log.DamagedBytes, root);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut {bytes} bytes of torn segment tail (an append a crash interrupted, never acknowledged) in {bucket}")]
    private static partial void LogTornTail(ILogger logger, long bytes, string bucket);

    [LoggerMessage(Level = LogLevel.Error, Message = "Skipped {bytes} damaged bytes between whole segment records in {bucket}: the objects they held are not served; the bytes are kept")]
    private static partial void LogDamaged(ILogger logger, long bytes, string bucket);
}
