namespace Tarmac.Local.Status;

/// <summary>Upload POSTs in the hour: how many, how fast, how many failed.</summary>
/// <param name="Total">POST requests answered.</param>
/// <param name="ServerErrors">POSTs answered with a 5xx status.</param>
/// <param name="OverThreshold">POSTs slower than the latency objective's 300 ms.</param>
/// <param name="P50Ms">Median latency over the hour in milliseconds (from fixed histogram buckets), null without POSTs.</param>
/// <param name="P95Ms">95th percentile latency over the hour in milliseconds, null without POSTs.</param>
/// <param name="TotalPerMinute">POSTs in each minute.</param>
/// <param name="ServerErrorsPerMinute">POSTs answered 5xx in each minute.</param>
/// <param name="P50MsPerMinute">Median latency of each minute, null for a minute without POSTs.</param>
/// <param name="P95MsPerMinute">95th percentile latency of each minute, null for a minute without POSTs.</param>
public sealed record PostTraffic(
    long Total,
    long ServerErrors,
    long OverThreshold,
    double? P50Ms,
    double? P95Ms,
    IReadOnlyList<long> TotalPerMinute,
    IReadOnlyList<long> ServerErrorsPerMinute,
    IReadOnlyList<double?> P50MsPerMinute,
    IReadOnlyList<double?> P95MsPerMinute);
