namespace Tarmac.Core.Ports;

/// <summary>
/// The raw bucket. Objects are create-only: a name is written once and never overwritten, so two
/// uploads can never clobber each other and every accepted byte stays as it was received. The one
/// deletion is of a generation its caller created itself and knows to be redundant (a duplicate's bytes).
/// </summary>
public interface IObjectStore
{
    /// <summary>Name of the bucket, as reported in object events.</summary>
    string Bucket { get; }

    /// <summary>
    /// Streams <paramref name="content"/> into a new object. Nothing is visible under
    /// <paramref name="name"/> until the whole stream was written and made durable.
    /// </summary>
    /// <exception cref="ObjectAlreadyExistsException">The name is taken.</exception>
    Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct);

    /// <summary>Opens an object for reading.</summary>
    /// <exception cref="ObjectNotFoundException">No such object.</exception>
    Task<Stream> OpenReadAsync(string name, CancellationToken ct);

    /// <summary>Returns the object's description, or null if it does not exist.</summary>
    Task<StoredObject?> GetAsync(string name, CancellationToken ct);

    /// <summary>
    /// Deletes the object only if it is still at <paramref name="generation"/>, so a caller can only ever remove the
    /// object it created itself. False when it is already gone or is at another generation (then it is left alone).
    /// </summary>
    Task<bool> DeleteAsync(string name, long generation, CancellationToken ct);

    /// <summary>Lists objects whose names start with <paramref name="prefix"/>.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken ct);
}

/// <summary>A stored object.</summary>
/// <param name="Name">Object name.</param>
/// <param name="Generation">Version of the object (GCS generation; locally the creation time in ticks).</param>
/// <param name="Size">Bytes.</param>
/// <param name="Metadata">Custom metadata set at creation.</param>
public sealed record StoredObject(string Name, long Generation, long Size, IReadOnlyDictionary<string, string> Metadata);
