using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace Tarmac.Embedded;

/// <summary>
/// Append-only segment files that hold small objects, group-committed: one writer takes every append waiting, writes them
/// all, flushes the file to disk once and only then completes them, so a burst of uploads shares one fsync instead of a
/// file, an fsync and a folder fsync each. An in-memory index (name → place) is rebuilt by scanning the segments at open;
/// a torn tail (a crash mid-append, never acknowledged) is truncated then. Each process appends to segments it creates
/// itself, so two stores on one folder never write the same file.
/// </summary>
internal sealed class SegmentLog : IDisposable
{
    /// <summary>The folder of the segment files, inside the bucket folder.</summary>
    public const string Folder = ".segments";

    /// <summary>Default size at which a new segment is started.</summary>
    public const long DefaultRollBytes = 64L << 20;

    private const int MaxGroupBytes = 8 << 20;

    private readonly string _root;
    private readonly string _folder;
    private readonly long _rollBytes;
    private readonly SegmentIndex _index = new();
    private readonly ConcurrentDictionary<int, SafeFileHandle> _handles = new();
    private readonly Channel<SegmentAppend> _queue = Channel.CreateUnbounded<SegmentAppend>(new() { SingleReader = true });
    private readonly Thread _writer;
    private long _lastGeneration;
    private int _nextSegment;
    private int _active = -1;
    private long _activeLength;
    private long _flushes;
    private volatile RecentContent? _recent;

    /// <summary>Opens the segments under <paramref name="root"/>: scans each, truncates torn tails, builds the index.</summary>
    public SegmentLog(string root, long rollBytes = DefaultRollBytes)
    {
        _root = root;
        _folder = Path.Combine(root, Folder);
        _rollBytes = rollBytes;
        Salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(8);
        Open();
        _writer = new Thread(RunWriter) { IsBackground = true, Name = "tarmac-segment-writer" };
        _writer.Start();
    }

    /// <summary>The salt of the segments this process writes (records are checksummed over it).</summary>
    public byte[] Salt { get; }

    /// <summary>Group flushes done so far (a seam for tests: a flush cannot be seen otherwise).</summary>
    internal long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>Runs just before each group's flush with the group's names (a seam for tests that hold a group back).</summary>
    internal Action<IReadOnlyList<string>>? BeforeFlush { get; set; }

    /// <summary>Bytes of torn tails cut off at open.</summary>
    internal long TruncatedBytes { get; private set; }

    /// <summary>Bytes skipped at open between whole records (damage not explained by a crash).</summary>
    internal long DamagedBytes { get; private set; }

    /// <summary>The newest generation issued or found in a segment so far.</summary>
    public long LastGeneration => Interlocked.Read(ref _lastGeneration);

    /// <summary>The next generation: after every one seen, and the clock's ticks when the clock is ahead.</summary>
    public long NextGeneration()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _lastGeneration);
            var next = Math.Max(last + 1, DateTime.UtcNow.Ticks);
            if (Interlocked.CompareExchange(ref _lastGeneration, next, last) == last) return next;
        }
    }

    /// <summary>The place of <paramref name="name"/>, if the log holds it.</summary>
    public bool TryGet(string name, out SegmentEntry entry) => _index.TryGet(name, out entry);

    /// <summary>The objects whose names start with <paramref name="prefix"/>, in ordinal name order.</summary>
    public List<KeyValuePair<string, SegmentEntry>> List(string prefix)
    {
        var found = _index.Select(prefix);
        found.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return found;
    }

    /// <summary>The shared read handle of a segment.</summary>
    public SafeFileHandle HandleOf(int segment) => _handles[segment];

    /// <summary>An entry's metadata JSON (empty when it has none).</summary>
    public byte[] ReadMetadata(SegmentEntry entry) => Read(entry.Segment, entry.MetadataOffset, entry.MetadataLength);

    /// <summary>An entry's body.</summary>
    public byte[] ReadBody(SegmentEntry entry) => Read(entry.Segment, entry.BodyOffset, entry.BodyLength);

    /// <summary>
    /// The objects whose names start with <paramref name="prefix"/> and whose generation is after <paramref name="generation"/>,
    /// in the order they were flushed (segment, then place in it).
    /// </summary>
    public List<KeyValuePair<string, SegmentEntry>> Since(string prefix, long generation)
    {
        var found = _index.Select(prefix, generation);
        found.Sort((a, b) => (a.Value.Segment, a.Value.BodyOffset).CompareTo((b.Value.Segment, b.Value.BodyOffset)));
        return found;
    }

    /// <summary>Starts recording every object appended from now on by its content (<see cref="RecentContent"/>).</summary>
    public RecentContent TrackContent(int maxTracked = RecentContent.MaxTracked) => _recent ??= new RecentContent(maxTracked);

    private byte[] Read(int segment, long offset, int length)
    {
        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(HandleOf(segment), bytes.AsSpan(read), offset + read);
            if (n == 0) throw new IOException($"Segment {segment} ends inside the record at {offset}.");
            read += n;
        }
        return bytes;
    }

    /// <summary>Queues a sealed record; completes once it is on disk (and, for an object, in the index).</summary>
    public Task<SegmentEntry> AppendAsync(SegmentAppend append)
    {
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(append), this);
        return append.Done.Task;
    }

    /// <summary>Appends a tombstone for <paramref name="name"/> at <paramref name="generation"/>; completes once it is on disk.</summary>
    public Task DeleteAsync(string name, long generation)
    {
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        var length = SegmentRecord.Length(nameBytes.Length, 0, 0);
        var record = new byte[length];
        SegmentRecord.WriteHead(record, SegmentRecord.TombstoneKind, nameBytes, generation, [], 0);
        SegmentRecord.Seal(record, length, Salt);
        var head = SegmentRecord.HeaderLength + nameBytes.Length;
        return AppendAsync(new SegmentAppend(record, SegmentRecord.TombstoneKind, name, generation, head, 0, head, 0));
    }

    /// <summary>Stops the writer once the queued appends are done, and closes the segments.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Join();
        foreach (var handle in _handles.Values) handle.Dispose();
    }

    private void Open()
    {
        if (!Directory.Exists(_folder)) return;
        var files = Directory.EnumerateFiles(_folder, "*.seg").Select(p => (Path: p, Number: SegmentNumber(p))).Where(f => f.Number >= 0).OrderBy(f => f.Number);
        foreach (var (path, number) in files)
        {
            _nextSegment = Math.Max(_nextSegment, number + 1);
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var scan = SegmentScan.Run(handle);
            var length = RandomAccess.GetLength(handle);
            DamagedBytes += scan.DamagedBytes;
            if (scan.ValidEnd < length)
            {
                handle.Dispose();
                if (TryTruncate(path, scan.ValidEnd)) TruncatedBytes += length - scan.ValidEnd;
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            _handles[number] = handle;
            foreach (var (offset, record) in scan.Records) Apply(number, offset, record);
        }
    }

    /// <summary>Cuts a torn tail off; false when another live store holds the file (then its tail may be an append in flight).</summary>
    private static bool TryTruncate(string path, long validEnd)
    {
        try
        {
            // FileShare.None takes the file's exclusive lock: it fails while another store has the segment open.
            using var exclusive = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            RandomAccess.SetLength(exclusive, validEnd);
            RandomAccess.FlushToDisk(exclusive);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Apply(int segment, long offset, ParsedRecord record)
    {
        _lastGeneration = Math.Max(_lastGeneration, record.Generation);
        if (record.Kind == SegmentRecord.TombstoneKind)
        {
            _index.RemoveIf(record.Name, record.Generation);
            return;
        }
        _index.Set(record.Name, new SegmentEntry(segment, offset + record.MetadataOffset, record.MetadataLength, offset + record.BodyOffset, record.BodyLength, record.Generation));
    }

    private static int SegmentNumber(string path) =>
        int.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;

    private void RunWriter()
    {
        var reader = _queue.Reader;
        var group = new List<SegmentAppend>();
        var buffers = new List<ReadOnlyMemory<byte>>();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            buffers.Clear();
            long bytes = 0;
            while (bytes < MaxGroupBytes && reader.TryRead(out var append))
            {
                group.Add(append);
                buffers.Add(append.Record);
                bytes += append.Record.Length;
            }
            WriteGroup(group, buffers, bytes);
        }
    }

    private void WriteGroup(List<SegmentAppend> group, List<ReadOnlyMemory<byte>> buffers, long bytes)
    {
        long start = -1;
        try
        {
            EnsureRoom(bytes);
            start = _activeLength;
            var handle = _handles[_active];
            RandomAccess.Write(handle, buffers, start);
            BeforeFlush?.Invoke([.. group.Select(a => a.Name)]);
            RandomAccess.FlushToDisk(handle);
            Interlocked.Increment(ref _flushes);
            _activeLength = start + bytes;
        }
        catch (Exception e)
        {
            // Nothing of the group is acknowledged. Cut what was written (a scan would cut it as a torn tail anyway), and
            // start the next group in a new segment: after a failed fsync the file's cached pages cannot be trusted.
            if (start >= 0)
            {
                try { RandomAccess.SetLength(_handles[_active], start); }
                catch (IOException) { } // the debris stays after the last whole record, where a scan cuts it
            }
            _active = -1;
            foreach (var append in group) append.Done.TrySetException(e);
            return;
        }
        var at = start;
        var recent = _recent;
        foreach (var append in group)
        {
            var entry = new SegmentEntry(_active, at + append.MetadataOffset, append.MetadataLength, at + append.BodyOffset, append.BodyLength, append.Generation);
            if (append.Kind == SegmentRecord.ObjectKind)
            {
                // Before the append completes: whoever learns it is durable can also learn whether its bytes are a copy.
                recent?.Add(append.Name, append.Generation, append.Record.Span.Slice(append.BodyOffset, append.BodyLength));
                _index.Set(append.Name, entry);
            }
            else _index.RemoveIf(append.Name, append.Generation);
            at += append.Record.Length;
            append.Done.TrySetResult(entry);
        }
    }

    /// <summary>Makes sure the active segment exists and takes <paramref name="bytes"/> more without passing the roll size.</summary>
    private void EnsureRoom(long bytes)
    {
        if (_active >= 0 && (_activeLength + bytes <= _rollBytes || _activeLength == SegmentRecord.FileHeaderLength)) return;
        if (!Directory.Exists(_folder))
        {
            Directory.CreateDirectory(_folder);
            DirectorySync.Sync(_root);
        }
        SafeFileHandle handle;
        int number;
        while (true)
        {
            // Another store on the folder (a tool, a test) may have taken the next number since this one opened.
            number = _nextSegment++;
            var path = Path.Combine(_folder, number.ToString("D8", CultureInfo.InvariantCulture) + ".seg");
            try { handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read); break; }
            catch (IOException) when (File.Exists(path)) { }
        }
        var header = SegmentRecord.FileHeader(Salt);
        RandomAccess.Write(handle, header, 0);
        RandomAccess.FlushToDisk(handle);
        // A new file is an entry in the folder: once per segment, not once per object.
        DirectorySync.Sync(_folder);
        _handles[number] = handle;
        _active = number;
        _activeLength = header.Length;
    }
}
