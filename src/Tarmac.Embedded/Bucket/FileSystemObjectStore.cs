using System.Runtime.CompilerServices;
using System.Text.Json;
using Tarmac.Core.Ports;

namespace Tarmac.Embedded;

/// <summary>
/// A bucket in a folder. Writes go to a temp file that is flushed to disk and then linked into place
/// without overwriting (<see cref="File.Move(string, string, bool)"/> with overwrite false), so an object is
/// either absent or complete, and an existing name is never replaced.
/// </summary>
public sealed class FileSystemObjectStore : IObjectStore
{
    private const string TempFolder = ".tmp";
    private const string MetaFolder = ".meta";
    private const string MetadataAttribute = "user.tarmac.metadata";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _directories = new(StringComparer.Ordinal);
    private readonly string _root;

    public FileSystemObjectStore(string root, string bucket = "local")
    {
        _root = Path.GetFullPath(root);
        Bucket = bucket;
        Directory.CreateDirectory(Path.Combine(_root, TempFolder));
    }

    public string Bucket { get; }

    public async Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        var path = PathOf(name);
        if (File.Exists(path)) throw new ObjectAlreadyExistsException(name);
        var temp = Path.Combine(_root, TempFolder, Guid.NewGuid().ToString("N"));
        try
        {
            // No FileStream buffer: CopyToAsync already copies through a pooled buffer.
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, 1 << 16, ct);
                file.Flush(flushToDisk: true);
            }
            if (metadata is { Count: > 0 })
            {
                // Metadata travels with the file as an extended attribute (one syscall, flushed with the rename's journal
                // commit); where the file system has none, it goes to a sidecar file.
                var json = JsonSerializer.SerializeToUtf8Bytes(metadata);
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
        var path = PathOf(name);
        try
        {
            Stream s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult(s);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(name);
        }
    }

    public async Task<StoredObject?> GetAsync(string name, CancellationToken ct)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return null;
        return Describe(name, path, await ReadMetadataAsync(name, ct));
    }

    public Task<bool> DeleteAsync(string name, long generation, CancellationToken ct)
    {
        var path = PathOf(name);
        var info = new FileInfo(path);
        // Names are create-only, so a name at the caller's generation is the very file it created; any other is left alone.
        if (!info.Exists || info.LastWriteTimeUtc.Ticks != generation) return Task.FromResult(false);
        File.Delete(path);
        var meta = MetaPathOf(name);
        if (File.Exists(meta)) File.Delete(meta);
        // As for the rename that made it visible: the removal is a change to the folder.
        DirectorySync.Sync(Path.GetDirectoryName(path)!);
        return Task.FromResult(true);
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        // Walk only the folder the prefix names (its part up to the last '/'), not the whole bucket: the startup scan
        // lists two date folders, and the bucket holds every upload ever received.
        var folder = prefix.LastIndexOf('/') is var slash and > 0 ? PathOf(prefix[..slash]) : _root;
        if (!Directory.Exists(folder)) yield break;
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(TempFolder + "/", StringComparison.Ordinal) || name.StartsWith(MetaFolder + "/", StringComparison.Ordinal)) continue;
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            ct.ThrowIfCancellationRequested();
            yield return Describe(name, path, await ReadMetadataAsync(name, ct));
        }
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
