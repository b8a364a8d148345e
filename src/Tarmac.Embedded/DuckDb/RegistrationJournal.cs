using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Tarmac.Core.Uploads;

namespace Tarmac.Embedded;

/// <summary>
/// The durable half of a registration whose segment record cannot stand for it (<see cref="SegmentRegistrations"/>: a large
/// upload, a copy of bytes flushed before it, a stalled one): it is appended here, and one flush covers every
/// registration of a group, before any of them is answered. The ledger row is written later, by the load that settles the
/// upload (<see cref="OpenUploads"/>); a journal file is deleted once every upload it holds has its row. At startup the
/// files left are replayed into the ledger table before anything else reads it.
/// </summary>
/// <remarks>
/// Format, little-endian: records of length (u32) · CRC-32 of the payload (u32) · payload (an <see cref="UploadRecord"/> as
/// UTF-8 JSON). Only the registrar thread writes, each process only to files it creates, and a group is answered only after
/// its flush, so a crash can tear the last group of a file and nothing before it. Replay skips a record that is incomplete
/// or fails its checksum: with no whole record after it, that is the torn tail, never acknowledged; with one, it is damage,
/// and the records after it are replayed.
/// </remarks>
internal sealed class RegistrationJournal : IDisposable
{
    /// <summary>By default a file is closed to new records at this size; it is deleted when its last upload has its row.</summary>
    internal const long RollBytes = 64L << 20;

    private const int FrameHeader = 8;
    private const int MaxRecordBytes = 1 << 20;
    private const string Extension = ".journal";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _folder;
    private readonly long _rollBytes;
    private readonly Dictionary<long, int> _openByFile = [];
    private SafeFileHandle? _handle;
    private long _file;
    private long _length;
    private byte[] _buffer = new byte[64 << 10];

    private RegistrationJournal(string folder, long rollBytes, long lastFile)
    {
        _folder = folder;
        _rollBytes = rollBytes;
        _file = lastFile;
    }

    /// <summary>The folder's files, oldest first.</summary>
    private static IEnumerable<(long Number, string Path)> Files(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + Extension)
                .Select(p => (Number: long.TryParse(Path.GetFileNameWithoutExtension(p), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1, Path: p))
                .Where(f => f.Number >= 0).OrderBy(f => f.Number)
            : [];

    /// <summary>
    /// Reads every registration the folder's files hold, in the order they were written, and opens the journal for new ones
    /// in a file after them. <paramref name="replayed"/> must make them durable elsewhere before <see cref="DeleteReplayed"/>.
    /// </summary>
    public static RegistrationJournal Open(string folder, long rollBytes, out List<UploadRecord> replayed, out List<JournalDamage> damage)
    {
        Directory.CreateDirectory(folder);
        replayed = [];
        damage = [];
        long last = 0;
        foreach (var (number, path) in Files(folder))
        {
            last = number;
            ReadFile(path, replayed, damage);
        }
        return new RegistrationJournal(folder, rollBytes, last);
    }

    /// <summary>Deletes the files <see cref="Open"/> replayed, once their registrations have their ledger rows.</summary>
    public void DeleteReplayed()
    {
        if (_handle is not null) throw new InvalidOperationException("The journal has taken registrations since it was opened.");
        foreach (var (number, path) in Files(_folder).ToList())
            if (number <= _file) File.Delete(path);
    }

    /// <summary>Appends <paramref name="records"/> and flushes them to disk; returns the file that holds them.</summary>
    public long Append(IReadOnlyList<UploadRecord> records)
    {
        if (_handle is null || _length >= _rollBytes) Roll();
        var used = 0;
        foreach (var record in records)
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(record, Json);
            if (payload.Length > MaxRecordBytes) throw new InvalidOperationException($"A registration of {payload.Length} bytes is over the journal's {MaxRecordBytes}.");
            if (_buffer.Length - used < FrameHeader + payload.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, used + FrameHeader + payload.Length));
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(used), (uint)payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(used + 4), Crc32.HashToUInt32(payload));
            payload.CopyTo(_buffer.AsSpan(used + FrameHeader));
            used += FrameHeader + payload.Length;
        }
        RandomAccess.Write(_handle!, _buffer.AsSpan(0, used), _length);
        RandomAccess.FlushToDisk(_handle!);
        _length += used;
        _openByFile[_file] = _openByFile.GetValueOrDefault(_file) + records.Count;
        return _file;
    }

    /// <summary>Uploads of <paramref name="file"/> have their rows: a file closed to new records is deleted with its last one.</summary>
    public void Released(long file, int count)
    {
        var left = _openByFile.GetValueOrDefault(file) - count;
        if (left > 0 || file == _file)
        {
            _openByFile[file] = Math.Max(0, left);
            return;
        }
        _openByFile.Remove(file);
        File.Delete(FilePath(file));
    }

    public void Dispose() => _handle?.Dispose();

    private string FilePath(long number) => Path.Combine(_folder, number.ToString("D8", CultureInfo.InvariantCulture) + Extension);

    private void Roll()
    {
        var previous = _handle is null ? (long?)null : _file;
        _handle?.Dispose();
        _file++;
        _handle = File.OpenHandle(FilePath(_file), FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        _length = 0;
        // The new file's name must survive a power loss as its records do.
        DirectorySync.Sync(_folder);
        if (previous is { } p && _openByFile.GetValueOrDefault(p) == 0) Released(p, 0);
    }

    /// <summary>
    /// Reads a file's whole records into <paramref name="into"/>. A bad record with a whole one after it is damage, skipped
    /// (the records after it were acknowledged); a bad record with none after it is the torn tail of a crash.
    /// </summary>
    private static void ReadFile(string path, List<UploadRecord> into, List<JournalDamage> damage)
    {
        var bytes = File.ReadAllBytes(path);
        var at = 0;
        while (at < bytes.Length)
        {
            if (TryFrame(bytes, at, out var payload))
            {
                into.Add(JsonSerializer.Deserialize<UploadRecord>(payload, Json) ?? throw new InvalidDataException($"A null registration in {path} at {at}."));
                at += FrameHeader + payload.Length;
                continue;
            }
            var next = at + 1;
            while (next < bytes.Length && !TryFrame(bytes, next, out _)) next++;
            damage.Add(new JournalDamage(path, at, next - at, Torn: next >= bytes.Length));
            at = next;
        }
    }

    /// <summary>Whether a whole record starts at <paramref name="at"/>: its length fits, its payload is a JSON object and its checksum matches.</summary>
    private static bool TryFrame(byte[] bytes, int at, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (bytes.Length - at < FrameHeader) return false;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
        if (length is < 2 or > MaxRecordBytes || bytes.Length - at - FrameHeader < length) return false;
        var candidate = bytes.AsSpan(at + FrameHeader, (int)length);
        // Cheap before the checksum: a search for the next record after damage tries every byte.
        if (candidate[0] != (byte)'{' || candidate[^1] != (byte)'}') return false;
        if (Crc32.HashToUInt32(candidate) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4))) return false;
        payload = candidate;
        return true;
    }
}

/// <summary>Bytes of a journal file that hold no whole record: a crash's torn tail, or damage between whole records.</summary>
/// <param name="Path">The file.</param>
/// <param name="Offset">Where the bad bytes start.</param>
/// <param name="Length">How many bytes were skipped.</param>
/// <param name="Torn">No whole record follows: the last group of a crash, never acknowledged.</param>
internal sealed record JournalDamage(string Path, long Offset, long Length, bool Torn);
