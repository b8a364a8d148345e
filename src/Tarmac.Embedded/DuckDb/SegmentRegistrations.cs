using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Tarmac.Core.Uploads;

namespace Tarmac.Embedded;

/// <summary>
/// Registrations that ride the segment's group commit. A small upload's segment record holds its bytes and the metadata
/// ingest wrote with them (<see cref="RawObjectMetadata"/>), and its id says when it was received: the record is the
/// registration, durable in the same flush as the bytes, so registering it writes nothing to disk. Its ledger row is
/// written by the load that settles it, as for a journal registration.
/// </summary>
/// <remarks>
/// <para>A checkpoint file says how far that is done: every upload whose segment record has a generation up to it has its
/// row, or was never registered. At startup the raw objects after it without a row get their rows, rebuilt from their
/// records (<see cref="Registration"/>), in the order they were flushed. While the host runs the checkpoint follows the
/// oldest upload still waiting for its row, and stays ten seconds behind the clock.</para>
/// <para>A record stands as a registration only when the replay would come to the same answer as the registrar did
/// (<see cref="Holds"/>): it is after the checkpoint (a registration that stalled behind it is not), and no other record
/// flushed before it holds the same bytes (the replay keeps the first of identical bytes, and the registrar may have kept
/// a later one). Anything else goes to the journal, whose replay comes first.</para>
/// <para>Format: the generation (i64) and the CRC-32 of those 8 bytes (u32), little-endian, at offset 0. A checkpoint that
/// fails its checksum counts as 0: everything is checked again, which is slower, never wrong.</para>
/// </remarks>
internal sealed class SegmentRegistrations : IDisposable
{
    private const string FileName = "segments.settled";
    private static readonly long Behind = TimeSpan.FromSeconds(10).Ticks;

    private readonly SegmentLog _log;
    private readonly RecentContent _recent;
    private readonly SafeFileHandle _handle;

    /// <param name="log">The segment log whose records are registrations.</param>
    /// <param name="folder">Where the checkpoint file lives (the ledger's journal folder).</param>
    public SegmentRegistrations(SegmentLog log, string folder)
    {
        _log = log;
        _recent = log.TrackContent();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        var existed = File.Exists(path);
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        // The file's name must survive a power loss as its contents do.
        if (!existed) DirectorySync.Sync(folder);
        SettledThrough = ReadCheckpoint(_handle);
    }

    /// <summary>Every segment upload with a generation up to this one has its ledger row, or was never registered.</summary>
    public long SettledThrough { get; private set; }

    /// <summary>
    /// Whether <paramref name="upload"/>'s segment record can stand as its registration (only the registrar asks, for an upload
    /// it creates): its object is a durable segment record after the checkpoint, no other recent record has its bytes, and its
    /// id says when it was received.
    /// </summary>
    public bool Holds(UploadRecord upload, out long generation)
    {
        generation = 0;
        // The time is rebuilt from the id: an upload registered with another time (an orphan, a signed URL's) goes to the journal.
        if (UploadIds.MintedAt(upload.UploadId) != upload.ReceivedAt
            || !upload.Object.StartsWith(UploadIds.RawPrefix, StringComparison.Ordinal) || !_log.TryGet(upload.Object, out var entry)
            || entry.Generation <= SettledThrough || !_recent.IsUnique(upload.Object))
            return false;
        generation = entry.Generation;
        return true;
    }

    /// <summary>The raw objects in segments after the checkpoint, in flush order: the registrations that may lack their row.</summary>
    public List<KeyValuePair<string, SegmentEntry>> AfterCheckpoint() => _log.Since(UploadIds.RawPrefix, SettledThrough);

    /// <summary>
    /// The registration a segment record holds, as ingest registered it: the hash is computed from the bytes, the time comes
    /// from the id (ingest mints it from the time it received the upload). Null for a name that is not a raw upload's.
    /// </summary>
    public UploadRecord? Registration(string name, SegmentEntry entry)
    {
        if (!UploadIds.TryParseObjectName(name, out var dataset, out var uploadId)) return null;
        var metadata = entry.MetadataLength == 0 ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(_log.ReadMetadata(entry));
        string? Meta(string key) => metadata?.GetValueOrDefault(key);
        return UploadRows.AsStored(new UploadRecord
        {
            UploadId = uploadId, Dataset = dataset, Object = name, Bytes = entry.BodyLength,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(_log.ReadBody(entry))), Status = UploadStatus.Stored,
            FileName = Meta(RawObjectMetadata.FileName), ContentType = Meta(RawObjectMetadata.ContentType), Client = Meta(RawObjectMetadata.Client),
            // An id minted elsewhere (a signed URL's ticket) says when the ticket was issued: the nearest there is.
            ReceivedAt = UploadIds.MintedAt(uploadId) ?? new DateTimeOffset(entry.Generation, TimeSpan.Zero),
            TraceParent = Meta(RawObjectMetadata.TraceParent),
        });
    }

    /// <summary>
    /// Moves the checkpoint up to just before <paramref name="oldestWaiting"/> (the oldest upload still waiting for its row,
    /// null when none is), and no nearer the clock than ten seconds. <paramref name="final"/>: nothing is registered after
    /// this (the ledger is closing), so it may move up to the newest record.
    /// </summary>
    public void Advance(long? oldestWaiting, bool final = false)
    {
        var target = final ? _log.LastGeneration : DateTime.UtcNow.Ticks - Behind;
        if (oldestWaiting is { } waiting) target = Math.Min(target, waiting - 1);
        if (target <= SettledThrough) return;
        Write(target);
        _recent.ForgetThrough(target);
    }

    public void Dispose() => _handle.Dispose();

    private void Write(long generation)
    {
        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, generation);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], Crc32.HashToUInt32(bytes[..8]));
        RandomAccess.Write(_handle, bytes, 0);
        RandomAccess.FlushToDisk(_handle);
        SettledThrough = generation;
    }

    private static long ReadCheckpoint(SafeFileHandle handle)
    {
        Span<byte> bytes = stackalloc byte[12];
        if (RandomAccess.Read(handle, bytes, 0) < bytes.Length) return 0;
        return Crc32.HashToUInt32(bytes[..8]) == BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]) ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
    }
}
