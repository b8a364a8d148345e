using System.Diagnostics;
using Tarmac.ServiceDefaults;

namespace Tarmac.Tests.Tracing;

/// <summary>The span of a batch load: linked once to each upload's trace, at most 128 links, a plain child for one trace.</summary>
public sealed class BatchSpanTests : IDisposable
{
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = s => s.Name == TarmacTracing.SourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public BatchSpanTests() => ActivitySource.AddActivityListener(_listener);

    public void Dispose() => _listener.Dispose();

    private static string Parent(int trace, int span) => $"00-{trace:x32}-{span:x16}-01";

    [Fact]
    public void A_batch_links_each_trace_once_and_skips_what_is_not_a_traceparent()
    {
        using var span = TarmacTracing.StartForUploads("batch", [Parent(1, 1), Parent(2, 2), Parent(1, 3), null, "garbage", Parent(3, 4)]);
        Assert.NotNull(span);
        Assert.Equal([$"{1:x32}", $"{2:x32}", $"{3:x32}"], span.Links.Select(l => l.Context.TraceId.ToHexString()));
        // The first upload of a trace is the one linked.
        Assert.Equal($"{1:x16}", span.Links.First().Context.SpanId.ToHexString());
    }

    [Fact]
    public void A_batch_of_thousands_of_traces_records_128_links()
    {
        using var span = TarmacTracing.StartForUploads("batch", Enumerable.Range(1, 1000).Select(i => Parent(i, i)).ToList());
        Assert.Equal(Enumerable.Range(1, 128).Select(i => $"{i:x32}"), span!.Links.Select(l => l.Context.TraceId.ToHexString()));
    }

    [Fact]
    public void A_batch_of_one_trace_joins_it()
    {
        using var span = TarmacTracing.StartForUploads("batch", [Parent(7, 1), Parent(7, 2)]);
        Assert.Equal($"{7:x32}", span!.TraceId.ToHexString());
        Assert.Empty(span.Links);
    }
}
