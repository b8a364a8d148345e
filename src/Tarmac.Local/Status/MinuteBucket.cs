namespace Tarmac.Local.Status;

/// <summary>One minute of traffic. Reused when the window comes round to its slot again, so memory never grows.</summary>
internal sealed class MinuteBucket(int datasets)
{
    /// <summary>Minutes since the Unix epoch this bucket counts; -1 before first use.</summary>
    public long Minute { get; private set; } = -1;

    public long Requests;
    public long Requests5xx;
    public long Posts;
    public long Posts5xx;
    public long PostsOverThreshold;
    public readonly long[] PostLatency = new long[LatencyHistogram.BucketCount];
    public readonly long[] Uploads = new long[datasets];
    public readonly long[] RowsLoaded = new long[datasets];
    public readonly long[] RowsRejected = new long[datasets];

    /// <summary>Empties the bucket and gives it to <paramref name="minute"/>.</summary>
    public void Reset(long minute)
    {
        Minute = minute;
        Requests = Requests5xx = Posts = Posts5xx = PostsOverThreshold = 0;
        Array.Clear(PostLatency);
        Array.Clear(Uploads);
        Array.Clear(RowsLoaded);
        Array.Clear(RowsRejected);
    }
}
