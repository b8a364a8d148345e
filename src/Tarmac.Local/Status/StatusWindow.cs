using Tarmac.Core.Datasets;

namespace Tarmac.Local.Status;

/// <summary>
/// The last hour of traffic in 60 per-minute buckets: requests and 5xx, upload POSTs with their latency histogram, and
/// uploads and rows per dataset. Memory is fixed (the datasets come from the schema catalog; a name outside it is not
/// counted), and nothing is kept per request.
/// </summary>
public sealed class StatusWindow
{
    /// <summary>Minutes the window spans.</summary>
    public const int Minutes = 60;

    private readonly TimeProvider _time;
    private readonly string[] _datasets;
    private readonly MinuteBucket[] _buckets;
    private readonly Lock _lock = new();

    /// <param name="catalog">The datasets to count.</param>
    /// <param name="time">The clock that decides which minute a measurement belongs to.</param>
    public StatusWindow(SchemaCatalog catalog, TimeProvider time)
    {
        _time = time;
        _datasets = [.. catalog.Datasets.Select(d => d.Name).Order(StringComparer.Ordinal)];
        _buckets = [.. Enumerable.Range(0, Minutes).Select(_ => new MinuteBucket(_datasets.Length))];
    }

    /// <summary>The datasets counted, in name order (the order of <see cref="WindowMinute"/>'s per-dataset arrays).</summary>
    public IReadOnlyList<string> Datasets => _datasets;

    /// <summary>Counts one answered request; POSTs also count toward the upload latency and 5xx objectives.</summary>
    public void RecordRequest(bool isPost, int statusCode, double elapsedMs)
    {
        lock (_lock)
        {
            var b = Current();
            b.Requests++;
            var failed = statusCode >= 500;
            if (failed) b.Requests5xx++;
            if (!isPost) return;
            b.Posts++;
            if (failed) b.Posts5xx++;
            if (elapsedMs > StatusObjectives.PostLatencyThresholdMs) b.PostsOverThreshold++;
            b.PostLatency[LatencyHistogram.BucketOf(elapsedMs)]++;
        }
    }

    /// <summary>Counts an upload accepted into <paramref name="dataset"/>.</summary>
    public void RecordUpload(string dataset)
    {
        var i = Array.BinarySearch(_datasets, dataset, StringComparer.Ordinal);
        if (i < 0) return;
        lock (_lock) Current().Uploads[i]++;
    }

    /// <summary>Counts rows of <paramref name="dataset"/> loaded into the warehouse or rejected by validation.</summary>
    public void RecordRows(string dataset, long loaded, long rejected)
    {
        var i = Array.BinarySearch(_datasets, dataset, StringComparer.Ordinal);
        if (i < 0) return;
        lock (_lock)
        {
            var b = Current();
            b.RowsLoaded[i] += loaded;
            b.RowsRejected[i] += rejected;
        }
    }

    /// <summary>A copy of the last <see cref="Minutes"/> minutes, oldest first, ending with the current minute.</summary>
    public IReadOnlyList<WindowMinute> Snapshot()
    {
        var now = CurrentMinute();
        var minutes = new WindowMinute[Minutes];
        lock (_lock)
        {
            for (var k = 0; k < Minutes; k++)
            {
                var minute = now - Minutes + 1 + k;
                var b = _buckets[Slot(minute)];
                var start = DateTimeOffset.FromUnixTimeSeconds(minute * 60);
                minutes[k] = b.Minute == minute
                    ? new WindowMinute(start, b.Requests, b.Requests5xx, b.Posts, b.Posts5xx, b.PostsOverThreshold,
                        [.. b.PostLatency], [.. b.Uploads], [.. b.RowsLoaded], [.. b.RowsRejected])
                    : WindowMinute.Empty(start, _datasets.Length);
            }
        }
        return minutes;
    }

    private long CurrentMinute() => _time.GetUtcNow().ToUnixTimeSeconds() / 60;

    private static int Slot(long minute) => (int)(minute % Minutes);

    // Called under the lock: the bucket of this minute, emptied first if it still holds the minute an hour ago.
    private MinuteBucket Current()
    {
        var minute = CurrentMinute();
        var b = _buckets[Slot(minute)];
        if (b.Minute != minute) b.Reset(minute);
        return b;
    }
}
