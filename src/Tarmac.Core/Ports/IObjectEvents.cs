namespace Tarmac.Core.Ports;

/// <summary>An object reached its final state in the bucket (GCS <c>OBJECT_FINALIZE</c>).</summary>
/// <param name="Bucket">Bucket name.</param>
/// <param name="Name">Object name.</param>
/// <param name="Generation">Object generation, which makes a redelivered event recognisable.</param>
public sealed record ObjectFinalized(string Bucket, string Name, long Generation);

/// <summary>
/// Tells the process function that an object was finalized. On Google Cloud the bucket itself does this
/// (notification → Pub/Sub push), so ingest's publisher is a no-op there; locally it feeds an in-process queue.
/// </summary>
public interface IObjectEventPublisher
{
    /// <summary>Publishes an event for an object that is already durable.</summary>
    ValueTask PublishAsync(ObjectFinalized evt, CancellationToken ct);
}
