using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;

namespace Tarmac.Testing;

/// <summary>
/// The bucket, failing every write while <see cref="Broken"/> is set, as a broken dependency would (a 500 to count), and
/// failing transiently to read the objects <see cref="Unreadable"/> names, as a load does while the buffer pool is full.
/// </summary>
public sealed class BreakableStore(IObjectStore inner) : IObjectStore
{
    private volatile bool _broken;

    /// <summary>While true, every write throws.</summary>
    public bool Broken { get => _broken; set => _broken = value; }

    /// <summary>The object names whose reads throw <see cref="TransientFailureException"/> (none when null).</summary>
    public Func<string, bool>? Unreadable { get; init; }

    public string Bucket => inner.Bucket;

    public Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
        Broken ? throw new InvalidOperationException("the bucket is broken for this test") : inner.CreateAsync(name, content, metadata, ct);

    public Task<Stream> OpenReadAsync(string name, CancellationToken ct) =>
        Unreadable?.Invoke(name) == true ? throw new TransientFailureException($"{name} cannot be read for now (this test)") : inner.OpenReadAsync(name, ct);

    public Task<StoredObject?> GetAsync(string name, CancellationToken ct) => inner.GetAsync(name, ct);

    public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);

    public Task<bool> DeleteAsync(string name, long generation, CancellationToken ct) => inner.DeleteAsync(name, generation, ct);

    /// <summary>Wraps the host's registered store.</summary>
    public static void Install(IServiceCollection services) => TestStores.Wrap(services, inner => new BreakableStore(inner));
}
