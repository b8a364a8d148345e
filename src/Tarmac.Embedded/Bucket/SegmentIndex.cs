using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Tarmac.Embedded;

/// <summary>
/// The segment log's index, name → <see cref="SegmentEntry"/>, held in a few large arrays instead of two objects per name:
/// the names' UTF-8 bytes in 256 KiB chunks, 48-byte entries in blocks of structs, and an open-addressing table of entry
/// numbers. The <c>ConcurrentDictionary&lt;string, SegmentEntry&gt;</c> it replaced held 293 bytes of live heap a takeoff
/// (a node and a UTF-16 string each, objects the GC marks at every full collection); this holds 169 (measured with
/// 200,000 takeoffs). It still grows with every small object kept (docs/operations.md, "The local data folder").
/// One lock: lookups, the writer's inserts and the listings are all short.
/// </summary>
internal sealed class SegmentIndex
{
    private const int ChunkBytes = 256 << 10;
    // Entries in blocks of 8,192, so growing never copies (or holds twice) the entries already there.
    private const int SlotBlockShift = 13, SlotBlockMask = (1 << SlotBlockShift) - 1;
    private const int Empty = 0, Deleted = -1;

    private readonly Lock _lock = new();
    private readonly List<byte[]> _chunks = [];
    private int _chunkUsed = ChunkBytes;
    private readonly List<Slot[]> _slotBlocks = [];
    private int _slotCount;
    // Entry number + 1 (0: empty, -1: deleted); a power of two, at most half full counting deleted marks.
    private int[] _table = new int[2048];
    private int _marks;

    /// <summary>Names the index holds.</summary>
    public int Count { get; private set; }

    /// <summary>The place of <paramref name="name"/>, if held.</summary>
    public bool TryGet(string name, out SegmentEntry entry)
    {
        using var bytes = new Utf8Name(name);
        lock (_lock)
        {
            var at = Find(bytes.Span, Hash(name));
            entry = at >= 0 ? SlotAt(_table[at] - 1).Entry : default;
            return at >= 0;
        }
    }

    /// <summary>Holds <paramref name="entry"/> as the place of <paramref name="name"/>, replacing what it held.</summary>
    public void Set(string name, SegmentEntry entry)
    {
        using var bytes = new Utf8Name(name);
        var hash = Hash(name);
        lock (_lock)
        {
            var at = Find(bytes.Span, hash);
            if (at >= 0)
            {
                SlotAt(_table[at] - 1).Entry = entry;
                return;
            }
            if ((_marks + 1) * 2 > _table.Length) Rehash(Count + 1);
            if ((_slotCount & SlotBlockMask) == 0) _slotBlocks.Add(new Slot[1 << SlotBlockShift]);
            var (chunk, offset) = Store(bytes.Span);
            SlotAt(_slotCount) = new Slot { Chunk = chunk, Offset = offset, Length = bytes.Span.Length, Hash = hash, Entry = entry };
            var free = FreeSlot(hash);
            if (_table[free] == Empty) _marks++;
            _table[free] = ++_slotCount;
            Count++;
        }
    }

    /// <summary>Drops <paramref name="name"/> if the object it holds is of <paramref name="generation"/> (a tombstone's rule).</summary>
    public bool RemoveIf(string name, long generation)
    {
        using var bytes = new Utf8Name(name);
        lock (_lock)
        {
            var at = Find(bytes.Span, Hash(name));
            if (at < 0) return false;
            ref var slot = ref SlotAt(_table[at] - 1);
            if (slot.Entry.Generation != generation) return false;
            // Its entry and name bytes stay where they are (a tombstone's object is a duplicate's copy: rare).
            slot.Chunk = -1;
            _table[at] = Deleted;
            Count--;
            return true;
        }
    }

    /// <summary>The names that start with <paramref name="prefix"/> whose generation is after <paramref name="afterGeneration"/>.</summary>
    public List<KeyValuePair<string, SegmentEntry>> Select(string prefix, long afterGeneration = long.MinValue)
    {
        var wanted = Encoding.UTF8.GetBytes(prefix);
        var found = new List<KeyValuePair<string, SegmentEntry>>();
        lock (_lock)
        {
            for (var i = 0; i < _slotCount; i++)
            {
                ref readonly var slot = ref SlotAt(i);
                if (!slot.Live || slot.Entry.Generation <= afterGeneration || slot.Length < wanted.Length) continue;
                var name = NameOf(slot);
                if (name.StartsWith(wanted)) found.Add(KeyValuePair.Create(Encoding.UTF8.GetString(name), slot.Entry));
            }
        }
        return found;
    }

    private int Find(ReadOnlySpan<byte> name, int hash)
    {
        var mask = _table.Length - 1;
        for (var at = hash & mask; ; at = (at + 1) & mask)
        {
            var n = _table[at];
            if (n == Empty) return -1;
            if (n == Deleted) continue;
            ref readonly var slot = ref SlotAt(n - 1);
            if (slot.Hash == hash && NameOf(slot).SequenceEqual(name)) return at;
        }
    }

    private int FreeSlot(int hash)
    {
        var mask = _table.Length - 1;
        var at = hash & mask;
        while (_table[at] > 0) at = (at + 1) & mask;
        return at;
    }

    /// <summary>A table for <paramref name="count"/> names, at most a quarter full, without the deleted marks.</summary>
    private void Rehash(int count)
    {
        var size = _table.Length;
        while (size < count * 4) size *= 2;
        _table = new int[size];
        _marks = 0;
        for (var i = 0; i < _slotCount; i++)
        {
            ref readonly var slot = ref SlotAt(i);
            if (!slot.Live) continue;
            _table[FreeSlot(slot.Hash)] = i + 1;
            _marks++;
        }
    }

    private ref Slot SlotAt(int i) => ref _slotBlocks[i >> SlotBlockShift][i & SlotBlockMask];

    private (int Chunk, int Offset) Store(ReadOnlySpan<byte> name)
    {
        if (_chunkUsed + name.Length > ChunkBytes)
        {
            _chunks.Add(new byte[Math.Max(ChunkBytes, name.Length)]);
            _chunkUsed = 0;
        }
        var chunk = _chunks.Count - 1;
        var offset = _chunkUsed;
        name.CopyTo(_chunks[chunk].AsSpan(offset));
        _chunkUsed += name.Length;
        return (chunk, offset);
    }

    private ReadOnlySpan<byte> NameOf(in Slot slot) => _chunks[slot.Chunk].AsSpan(slot.Offset, slot.Length);

    private static int Hash(string name) => name.GetHashCode(StringComparison.Ordinal);

    /// <summary>A name's UTF-8 bytes in a pooled buffer, returned on dispose.</summary>
    private readonly ref struct Utf8Name
    {
        private readonly byte[] _buffer;
        private readonly int _length;

        public Utf8Name(string name)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(name.Length));
            _length = Encoding.UTF8.GetBytes(name, _buffer);
        }

        public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
    }

    /// <summary>One name's entry, 48 bytes: a <see cref="SegmentEntry"/> alone is as large, with its padding.</summary>
    [StructLayout(LayoutKind.Auto)]
    private struct Slot
    {
        // Chunk -1: removed. The body's offset is kept from the metadata's (the record's layout puts it a few bytes on).
        public int Chunk, Offset, Length, Hash;
        private int _segment, _metadataLength, _bodyLength, _bodyFromMetadata;
        private long _metadataOffset, _generation;

        public readonly bool Live => Chunk >= 0;

        public SegmentEntry Entry
        {
            readonly get => new(_segment, _metadataOffset, _metadataLength, _metadataOffset + _bodyFromMetadata, _bodyLength, _generation);
            set
            {
                (_segment, _metadataOffset, _metadataLength, _bodyLength, _generation) = (value.Segment, value.MetadataOffset, value.MetadataLength, value.BodyLength, value.Generation);
                _bodyFromMetadata = checked((int)(value.BodyOffset - value.MetadataOffset));
            }
        }
    }
}
