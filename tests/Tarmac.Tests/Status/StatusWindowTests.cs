using Tarmac.Core.Datasets;
using Tarmac.Local.Status;

namespace Tarmac.Tests.Status;

/// <summary>The status page's one-hour window: 60 minute buckets, reused as the clock moves, exact counts.</summary>
public sealed class StatusWindowTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset Noon = new(2026, 12, 1, 12, 0, 30, TimeSpan.Zero);

    private static (StatusWindow, ManualClock) Window()
    {
        var clock = new ManualClock(Noon);
        var catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));
        return (new StatusWindow(catalog, clock), clock);
    }

    [Fact]
    public void Counts_land_in_their_minute_and_fall_out_of_the_window_after_an_hour()
    {
        var (window, clock) = Window();
        window.RecordUpload("flights");
        window.RecordRows("flights", 7, 1);
        window.RecordRequest(isPost: true, 200, 12);
        window.RecordRequest(isPost: true, 503, 400);
        window.RecordRequest(isPost: false, 500, 3);
        window.RecordUpload("no_such_dataset"); // outside the catalog: not counted, no memory taken
        clock.Now = Noon.AddMinutes(59);
        window.RecordUpload("flights");

        var minutes = window.Snapshot();
        Assert.Equal(StatusWindow.Minutes, minutes.Count);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), minutes[0].Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 12, 59, 0, TimeSpan.Zero), minutes[^1].Start);
        var flights = window.Datasets.ToList().IndexOf("flights");
        Assert.Equal((1, 7, 1), (minutes[0].Uploads[flights], minutes[0].RowsLoaded[flights], minutes[0].RowsRejected[flights]));
        Assert.Equal((3, 2, 2, 1, 1), (minutes[0].Requests, minutes[0].Requests5xx, minutes[0].Posts, minutes[0].Posts5xx, minutes[0].PostsOverThreshold));
        Assert.Equal(1, minutes[^1].Uploads[flights]);
        Assert.Equal(2, minutes.Sum(m => m.Uploads.Sum()));

        // An hour after noon's minute, its slot is reused: noon's counts are gone, not added to 13:00's.
        clock.Now = Noon.AddMinutes(60);
        window.RecordUpload("flights");
        minutes = window.Snapshot();
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 12, 1, 0, TimeSpan.Zero), minutes[0].Start);
        Assert.Equal(0, minutes.Sum(m => m.Requests));
        Assert.Equal(0, minutes.Sum(m => m.RowsLoaded.Sum()));
        Assert.Equal([1L, 1L], minutes.Select(m => m.Uploads[flights]).Where(n => n > 0));

        // Two hours of silence: the window is empty.
        clock.Now = Noon.AddHours(3);
        Assert.All(window.Snapshot(), m => Assert.Equal(0, m.Requests + m.Uploads.Sum()));
    }

    [Fact]
    public void Percentiles_come_from_the_buckets_and_the_threshold_is_a_bound()
    {
        var counts = new long[LatencyHistogram.BucketCount];
        for (var i = 0; i < 90; i++) counts[LatencyHistogram.BucketOf(9.5)]++;   // (8, 10]
        for (var i = 0; i < 10; i++) counts[LatencyHistogram.BucketOf(300)]++;   // (250, 300]: exactly the threshold is not over it
        Assert.Equal(LatencyHistogram.BucketOf(300), Array.IndexOf(LatencyHistogram.BoundsMs, 300.0));
        Assert.Equal(8 + (2 * 50 / 90.0), LatencyHistogram.Quantile(counts, 0.5)!.Value, 1);
        Assert.Equal(275, LatencyHistogram.Quantile(counts, 0.95));
        Assert.Null(LatencyHistogram.Quantile(new long[LatencyHistogram.BucketCount], 0.5));

        var slow = new long[LatencyHistogram.BucketCount];
        slow[LatencyHistogram.BucketOf(120_000)] = 1; // past the last bound: its lower bound, not a made-up number
        Assert.Equal(60_000, LatencyHistogram.Quantile(slow, 0.95));
    }
}
