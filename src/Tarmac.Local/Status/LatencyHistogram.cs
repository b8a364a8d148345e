namespace Tarmac.Local.Status;

/// <summary>
/// Request durations counted into fixed buckets, so a minute of traffic costs the same memory whatever its volume. The
/// SLO threshold (300 ms) is a bucket bound, so "slower than the threshold" is an exact count, not an estimate.
/// </summary>
public static class LatencyHistogram
{
    /// <summary>Upper bounds in milliseconds; one more bucket beyond the last holds everything slower.</summary>
    public static readonly double[] BoundsMs =
    [
        1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800,
        1_000, 1_200, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000, 6_000, 8_000, 10_000, 15_000, 20_000, 30_000, 60_000,
    ];

    /// <summary>Buckets per histogram.</summary>
    public static int BucketCount => BoundsMs.Length + 1;

    /// <summary>The bucket a duration falls in (a duration equal to a bound falls in that bound's bucket).</summary>
    public static int BucketOf(double ms)
    {
        var i = Array.BinarySearch(BoundsMs, ms);
        return i >= 0 ? i : ~i;
    }

    /// <summary>
    /// The <paramref name="quantile"/> of the counted durations, interpolated inside its bucket (as Prometheus'
    /// histogram_quantile does); null when nothing was counted. The open last bucket answers its lower bound.
    /// </summary>
    public static double? Quantile(ReadOnlySpan<long> counts, double quantile)
    {
        long total = 0;
        foreach (var c in counts) total += c;
        if (total == 0) return null;
        var rank = quantile * total;
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0 || seen + counts[i] < rank)
            {
                seen += counts[i];
                continue;
            }
            var lower = i == 0 ? 0 : BoundsMs[i - 1];
            if (i == BoundsMs.Length) return lower;
            var upper = BoundsMs[i];
            return Math.Round(lower + ((upper - lower) * (rank - seen) / counts[i]), 1);
        }
        return BoundsMs[^1];
    }
}
