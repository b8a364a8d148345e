namespace Tarmac.Local.Status;

/// <summary>A copy of one minute of <see cref="StatusWindow"/>; per-dataset arrays follow <see cref="StatusWindow.Datasets"/>.</summary>
public sealed record WindowMinute(
    DateTimeOffset Start,
    long Requests,
    long Requests5xx,
    long Posts,
    long Posts5xx,
    long PostsOverThreshold,
    long[] PostLatency,
    long[] Uploads,
    long[] RowsLoaded,
    long[] RowsRejected)
{
    /// <summary>A minute nothing happened in.</summary>
    public static WindowMinute Empty(DateTimeOffset start, int datasets) =>
        new(start, 0, 0, 0, 0, 0, new long[LatencyHistogram.BucketCount], new long[datasets], new long[datasets], new long[datasets]);
}
