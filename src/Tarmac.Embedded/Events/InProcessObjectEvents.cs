using System.Threading.Channels;
using Tarmac.Core.Ports;

namespace Tarmac.Embedded;

/// <summary>
/// Object events delivered in-process: ingest publishes after the object is durable and registered,
/// the process function's pump reads them. Events lost with the process on a crash are recovered by
/// the startup scan of stored-but-not-loaded uploads.
/// </summary>
public sealed class InProcessObjectEvents : IObjectEventPublisher
{
    private readonly Channel<ObjectFinalized> _channel = Channel.CreateUnbounded<ObjectFinalized>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The reading side, for the process function's pump.</summary>
    public ChannelReader<ObjectFinalized> Reader => _channel.Reader;

    public ValueTask PublishAsync(ObjectFinalized evt, CancellationToken ct) => _channel.Writer.WriteAsync(evt, ct);
}
