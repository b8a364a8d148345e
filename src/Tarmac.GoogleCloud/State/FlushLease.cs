using System.Text.Json;

namespace Tarmac.GoogleCloud.State;

/// <summary>
/// <c>state/flush/&lt;dataset&gt;.json</c>: who is flushing a dataset (until when), when it last flushed, and the manifest
/// of the load in flight. Written by compare-and-set, so two instances never flush the same dataset at once, and a flush
/// that died is resumed from its manifest, with the same job id, instead of being planned again.
/// </summary>
public sealed record FlushLease(string? Holder, DateTimeOffset Until, DateTimeOffset? LastFlushAt, FlushManifest? Manifest)
{
    /// <summary>No one holds it; never flushed.</summary>
    public static readonly FlushLease Free = new(null, DateTimeOffset.MinValue, null, null);

    /// <summary>The document's bytes.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, UploadState.SerializerOptions);

    /// <summary>Reads a document written by <see cref="ToJson"/>.</summary>
    public static FlushLease FromJson(byte[] data) => JsonSerializer.Deserialize<FlushLease>(data, UploadState.SerializerOptions) ?? Free;
}

/// <summary>
/// What one load job appends: staged objects of uploads, sorted by upload id. Its <see cref="Id"/> is a digest of exactly
/// that, so the job id is a function of what it loads; <see cref="Attempt"/> moves on only past a job that failed.
/// </summary>
public sealed record FlushManifest(string Id, int Attempt, IReadOnlyList<ManifestEntry> Entries)
{
    /// <summary>The load job's id: <c>tarmac_load_&lt;dataset&gt;_&lt;manifest&gt;_&lt;attempt&gt;</c>.</summary>
    public string JobId(string dataset) => $"tarmac_load_{dataset}_{Id}_{Attempt}";

    /// <summary>A manifest over <paramref name="entries"/> (sorted here).</summary>
    public static FlushManifest Of(IEnumerable<ManifestEntry> entries)
    {
        var sorted = entries.OrderBy(e => e.UploadId, StringComparer.Ordinal).ToList();
        var text = string.Join('\n', sorted.Select(e => $"{e.UploadId} {e.Object}"));
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..32];
        return new FlushManifest(id, 0, sorted);
    }
}

/// <summary>One upload in a manifest and its staged object.</summary>
public sealed record ManifestEntry(string UploadId, string Object);
