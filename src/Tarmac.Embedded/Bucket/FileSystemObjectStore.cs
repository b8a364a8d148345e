using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Ports;

namespace Tarmac.Embedded;

/// <summary>
/// A bucket in a folder. An object that ends within <see cref="SegmentMaxObjectBytes"/> is appended to a shared segment
/// file (<see cref="SegmentLog"/>): every upload waiting shares one flush, instead of a file, a flush and a folder flush each.
/// A larger one goes to a temp file that is flushed to disk and then linked into place without overwriting
/// (<see cref="File.Move(string, string, bool)"/> with overwrite false). Either way an object is absent or complete,
/// readable by its name, and an existing name (of either kind) is never replaced.
/// </summary>
public sealed class FileSystemObjectStore : IObjectStore, IDisposable
{
    /// <summary>Default of <see cref="SegmentMaxObjectBytes"/>: a takeoff is a few hundred bytes, a day's file is megabytes.</summary>
    public const int DefaultSegmentMaxObjectBytes = 64 * 1024;

    /// <summary>The largest <see cref="SegmentMaxObjectBytes"/> allowed.</summary>
    public const int MaxSegmentMaxObjectBytes = SegmentRecord.MaxBodyBytes;

    private const string TempFolder = ".tmp";
    private const string MetaFolder = ".meta";
    private const string MetadataAttribute = "user.tarmac.metadata";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _directories = new(StringComparer.Ordinal);
    // Names being created or deleted right now, of either kind: what keeps a name create-only between segment and file.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _busy = new(StringComparer.Ordinal);
    private readonly string _root;

    /// <param name="root">The bucket folder.</param>
    /// <param name="bucket">The bucket's name in object events.</param>
    /// <param name="segmentMaxObjectBytes">Objects up to this size go to segments; 0 gives every object its own file.</param>
    /// <param name="segmentRollBytes">Size at which a new segment file is started.</param>
    /// <param name="logger">Where what the segments' opening found (a torn tail cut, damage skipped) is reported.</param>
    public FileSystemObjectStore(string root, string bucket = "local", int segmentMaxObjectBytes = DefaultSegmentMaxObjectBytes, long segmentRollBytes = SegmentLog.DefaultRollBytes, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(segmentMaxObjectBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(segmentMaxObjectBytes, MaxSegmentMaxObjectBytes);
        _root = Path.GetFullPath(root);
        Bucket = bucket;
        SegmentMaxObjectBytes = segmentMaxObjectBytes;
        Directory.CreateDirectory(Path.Combine(_root, TempFolder));
        // Opened even when new objects do not go to segments: objects written to them earlier must stay readable.
        Segments = new SegmentLog(_root, segmentRollBytes);
        if (logger is not null) SegmentLogMessages.ReportOpen(logger, Segments, _root);
    }

    public string Bucket { get; }

    /// <summary>Objects up to this many bytes are appended to a segment; larger ones get their own file.</summary>
    public int SegmentMaxObjectBytes { get; }

    /// <summary>The segment log (tests count its flushes).</summary>
    internal SegmentLog Segments { get; }

    public async Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        var path = PathOf(name);
        if (!_busy.TryAdd(name, 0)) throw new ObjectAlreadyExistsException(name);
        try
        {
            if (Segments.TryGet(name, out _) || File.Exists(path)) throw new ObjectAlreadyExistsException(name);
            var json = metadata is { Count: > 0 } ? JsonSerializer.SerializeToUtf8Bytes(metadata) : [];
            var nameBytes = Encoding.UTF8.GetBytes(name);
            if (SegmentMaxObjectBytes == 0 || nameBytes.Length > SegmentRecord.MaxNameBytes || json.Length > SegmentRecord.MaxMetadataBytes)
                return await WriteFileAsync(name, path, ReadOnlyMemory<byte>.Empty, content, metadata, json, ct);

            // Read up to one byte past the threshold into the record's own buffer: a body that ends within it is sealed
            // in place, a longer one spills its prefix to a file and streams the rest after it.
            var head = SegmentRecord.HeaderLength + nameBytes.Length + json.Length;
            var buffer = ArrayPool<byte>.Shared.Rent(SegmentRecord.Length(nameBytes.Length, json.Length, SegmentMaxObjectBytes + 1));
            try
            {
                var body = await ReadUpToAsync(content, buffer.AsMemory(head, SegmentMaxObjectBytes + 1), ct);
                if (body > SegmentMaxObjectBytes)
                    return await WriteFileAsync(name, path, buffer.AsMemory(head, body), content, metadata, json, ct);
                var generation = Segments.NextGeneration();
                var length = SegmentRecord.Length(nameBytes.Length, json.Length, body);
                SegmentRecord.WriteHead(buffer, SegmentRecord.ObjectKind, nameBytes, generation, json, body);
                SegmentRecord.Seal(buffer, length, Segments.Salt);
                await Segments.AppendAsync(new SegmentAppend(buffer.AsMemory(0, length), SegmentRecord.ObjectKind, name, generation,
                    SegmentRecord.HeaderLength + nameBytes.Length, json.Length, head, body));
                return new StoredObject(name, generation, body, metadata ?? new Dictionary<string, string>());
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        finally
        {
            _busy.TryRemove(name, out _);
        }
    }

    /// <summary>Releases the segment files once queued appends are written.</summary>
    public void Dispose() => Segments.Dispose();

    private static async Task<int> ReadUpToAsync(Stream content, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await content.ReadAsync(buffer[read..], ct);
            if (n == 0) break;
            read += n;
        }
        return read;
    }

    private async Task<StoredObject> WriteFileAsync(string name, string path, ReadOnlyMemory<byte> prefix, Stream content,
        IReadOnlyDictionary<string, string>? metadata, byte[] json, CancellationToken ct)
    {
        var temp = Path.Combine(_root, TempFolder, Guid.NewGuid().ToString("N"));
        try
        {
            // No FileStream buffer: CopyToAsync already copies through a pooled buffer.
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await file.WriteAsync(prefix, ct);
                await content.CopyToAsync(file, 1 << 16, ct);
                file.Flush(flushToDisk: true);
            }
            if (json.Length > 0)
            {
                // Metadata travels with the file as an extended attribute (one syscall, flushed with the rename's journal
                // commit); where the file system has none, it goes to a sidecar file.
                if (!ExtendedAttributes.TrySet(temp, MetadataAttribute, json))
                {
                    var meta = MetaPathOf(name);
                    EnsureDirectory(Path.GetDirectoryName(meta)!);
                    await using (var sidecar = new FileStream(meta, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
                    {
                        await sidecar.WriteAsync(json, ct);
                        sidecar.Flush(flushToDisk: true);
                    }
                }
            }
            EnsureDirectory(Path.GetDirectoryName(path)!);
            try { File.Move(temp, path, overwrite: false); }
            catch (IOException) when (File.Exists(path)) { throw new ObjectAlreadyExistsException(name); }
            // The rename is a change to the folder: until the folder is synced a power loss can undo it, and a 200 must
            // survive that (rename(2) and fsync(2): a file's fsync does not cover its directory entry).
            DirectorySync.Sync(Path.GetDirectoryName(path)!);
            return Describe(name, path, metadata);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken ct)
    {
        // The segment index holds only names checked when they were stored; the rest are checked before any file is opened.
        if (Segments.TryGet(name, out var entry))
            return Task.FromResult<Stream>(new SegmentReadStream(Segments.HandleOf(entry.Segment), entry.BodyOffset, entry.BodyLength));
        var path = PathOf(name);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(name);
        }
    }

    public async Task<StoredObject?> GetAsync(string name, CancellationToken ct)
    {
        if (Segments.TryGet(name, out var entry)) return Describe(name, entry);
        var path = PathOf(name);
        if (!File.Exists(path)) return null;
        return Describe(name, path, await ReadMetadataAsync(name, ct));
    }

    public async Task<bool> DeleteAsync(string name, long generation, CancellationToken ct)
    {
        var path = PathOf(name);
        if (!_busy.TryAdd(name, 0)) return false; // being created (so not the caller's generation yet) or deleted already
        try
        {
            if (Segments.TryGet(name, out var entry))
            {
                if (entry.Generation != generation) return false;
                // A tombstone record, group-committed like any append: the body's bytes stay in the segment, unreachable.
                await Segments.DeleteAsync(name, generation);
                return true;
            }
            var info = new FileInfo(path);
            // Names are create-only, so a name at the caller's generation is the very file it created; any other is left alone.
            if (!info.Exists || info.LastWriteTimeUtc.Ticks != generation) return false;
            File.Delete(path);
            var meta = MetaPathOf(name);
            if (File.Exists(meta)) File.Delete(meta);
            // As for the rename that made it visible: the removal is a change to the folder.
            DirectorySync.Sync(Path.GetDirectoryName(path)!);
            return true;
        }
        finally
        {
            _busy.TryRemove(name, out _);
        }
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        // Segment entries and files, merged in name order (the two kinds never share a name).
        var segmentEntries = Segments.List(prefix);
        var next = 0;
        await foreach (var file in ListFilesAsync(prefix, ct))
        {
            for (; next < segmentEntries.Count && string.CompareOrdinal(segmentEntries[next].Key, file.Name) < 0; next++)
                yield return Describe(segmentEntries[next].Key, segmentEntries[next].Value);
            yield return file;
        }
        for (; next < segmentEntries.Count; next++)
        {
            ct.ThrowIfCancellationRequested();
            yield return Describe(segmentEntries[next].Key, segmentEntries[next].Value);
        }
    }

    private async IAsyncEnumerable<StoredObject> ListFilesAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        // Walk only the folder the prefix names (its part up to the last '/'), not the whole bucket: the startup scan
        // lists two date folders, and the bucket holds every upload ever received.
        var folder = prefix.LastIndexOf('/') is var slash and > 0 ? PathOf(prefix[..slash]) : _root;
        if (!Directory.Exists(folder)) yield break;
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(TempFolder + "/", StringComparison.Ordinal) || name.StartsWith(MetaFolder + "/", StringComparison.Ordinal)
                || name.StartsWith(SegmentLog.Folder + "/", StringComparison.Ordinal)) continue;
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            ct.ThrowIfCancellationRequested();
            yield return Describe(name, path, await ReadMetadataAsync(name, ct));
        }
    }

    private StoredObject Describe(string name, SegmentEntry entry)
    {
        var metadata = entry.MetadataLength == 0 ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(Segments.ReadMetadata(entry));
        return new StoredObject(name, entry.Generation, entry.BodyLength, metadata ?? new Dictionary<string, string>());
    }

    private static StoredObject Describe(string name, string path, IReadOnlyDictionary<string, string>? metadata)
    {
        var info = new FileInfo(path);
        return new StoredObject(name, info.LastWriteTimeUtc.Ticks, info.Length, metadata ?? new Dictionary<string, string>());
    }

    private async Task<IReadOnlyDictionary<string, string>?> ReadMetadataAsync(string name, CancellationToken ct)
    {
        if (ExtendedAttributes.TryGet(PathOf(name), MetadataAttribute) is { } xattr)
            return JsonSerializer.Deserialize<Dictionary<string, string>>(xattr);
        var meta = MetaPathOf(name);
        if (!File.Exists(meta)) return null;
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllBytesAsync(meta, ct));
        }
        catch (JsonException)
        {
            // A sidecar cut short by a crash: metadata is a convenience (the file name), the object itself is complete.
            // Throwing here stopped the host on every start (the startup scan lists objects).
            return null;
        }
    }

    private void EnsureDirectory(string directory)
    {
        // Object names share a few date folders: create each once per process, not once per upload.
        if (_directories.ContainsKey(directory)) return;
        if (!Directory.Exists(directory))
        {
            // Sync every folder created, from the top: each new folder is an entry in its parent.
            var created = new Stack<string>();
            for (var d = directory; !Directory.Exists(d); d = Path.GetDirectoryName(d)!) created.Push(d);
            Directory.CreateDirectory(directory);
            foreach (var d in created) DirectorySync.Sync(Path.GetDirectoryName(d)!);
        }
        _directories.TryAdd(directory, 0);
    }

    private string MetaPathOf(string name) => PathOf(MetaFolder + "/" + name) + ".json";

    private string PathOf(string name)
    {
        // Names come from Tarmac itself, but a path that escapes the bucket folder is refused all the same.
        if (name.Length == 0 || name.Contains('\\') || name.Split('/').Any(p => p is "" or "." or ".."))
            throw new ArgumentException($"Invalid object name '{name}'.", nameof(name));
        var path = Path.GetFullPath(Path.Combine(_root, name));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"Invalid object name '{name}'.", nameof(name));
        return path;
    }
}
