using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Tarmac.Embedded;

/// <summary>
/// The byte layout of a segment file: a file header (magic and a random salt), then records, each self-describing and
/// checksummed so that a scan can tell an acknowledged record from a torn one without any other file.
/// <code>
/// file:   "TARMSEG1" (8) · salt (8)
/// record: magic u32 · kind u8 · 0 u8 · name length u16 · generation i64 · metadata length i32 · body length i32
///         · name (UTF-8) · metadata (JSON) · body · CRC-32 u32 over salt and every byte of the record before it
/// </code>
/// The salt keeps a body from passing for a record: an upload's bytes could hold a well-formed record with a valid CRC
/// of its own, but not one computed over a salt the client never sees. Integers are little-endian.
/// </summary>
internal static class SegmentRecord
{
    /// <summary>Bytes of the file header.</summary>
    public const int FileHeaderLength = 16;

    /// <summary>Bytes of a record before its name.</summary>
    public const int HeaderLength = 24;

    /// <summary>Bytes of the checksum that ends a record.</summary>
    public const int TrailerLength = 4;

    /// <summary>The longest object name a record holds.</summary>
    public const int MaxNameBytes = 1024;

    /// <summary>The most metadata a record holds (GCS allows 8 KiB of custom metadata; this is generous beside it).</summary>
    public const int MaxMetadataBytes = 64 * 1024;

    /// <summary>The largest body a segment takes; larger objects always get their own file.</summary>
    public const int MaxBodyBytes = 16 << 20;

    /// <summary>A record that holds an object.</summary>
    public const byte ObjectKind = 1;

    /// <summary>A record that deletes the object of its name at its generation.</summary>
    public const byte TombstoneKind = 2;

    private const uint RecordMagic = 0x52475354; // "TSGR"
    private static ReadOnlySpan<byte> FileMagic => "TARMSEG1"u8;

    /// <summary>The file header of a segment whose records are checksummed over <paramref name="salt"/> (8 bytes).</summary>
    public static byte[] FileHeader(ReadOnlySpan<byte> salt)
    {
        var header = new byte[FileHeaderLength];
        FileMagic.CopyTo(header);
        salt.CopyTo(header.AsSpan(FileMagic.Length));
        return header;
    }

    /// <summary>The salt of a file header, or null when the bytes are not one.</summary>
    public static byte[]? SaltOf(ReadOnlySpan<byte> fileHeader) =>
        fileHeader.Length >= FileHeaderLength && fileHeader[..FileMagic.Length].SequenceEqual(FileMagic)
            ? fileHeader[FileMagic.Length..FileHeaderLength].ToArray()
            : null;

    /// <summary>Total bytes of a record with these parts.</summary>
    public static int Length(int nameBytes, int metadataBytes, int bodyBytes) => HeaderLength + nameBytes + metadataBytes + bodyBytes + TrailerLength;

    /// <summary>
    /// Writes a record's header, name and metadata into <paramref name="record"/>; the body is expected at
    /// <see cref="HeaderLength"/> + name + metadata already or later, and <see cref="Seal"/> completes it.
    /// </summary>
    public static void WriteHead(Span<byte> record, byte kind, ReadOnlySpan<byte> name, long generation, ReadOnlySpan<byte> metadata, int bodyLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, RecordMagic);
        record[4] = kind;
        record[5] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], (ushort)name.Length);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], generation);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], metadata.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[20..], bodyLength);
        name.CopyTo(record[HeaderLength..]);
        metadata.CopyTo(record[(HeaderLength + name.Length)..]);
    }

    /// <summary>Writes the checksum of the first <paramref name="length"/> − 4 bytes at the end of the record.</summary>
    public static void Seal(Span<byte> record, int length, ReadOnlySpan<byte> salt) =>
        BinaryPrimitives.WriteUInt32LittleEndian(record[(length - TrailerLength)..], Checksum(record[..(length - TrailerLength)], salt));

    /// <summary>
    /// Reads the record at the start of <paramref name="bytes"/>. <see cref="ParseResult.NeedMore"/> when
    /// <paramref name="bytes"/> ends before it does (it is whole or torn only in more bytes), <see cref="ParseResult.Invalid"/>
    /// when the bytes are not a record or its checksum does not match.
    /// </summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> salt, out ParsedRecord record, out int needed)
    {
        record = default;
        needed = HeaderLength;
        if (bytes.Length < HeaderLength) return ParseResult.NeedMore;
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != RecordMagic) return ParseResult.Invalid;
        var kind = bytes[4];
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]);
        var generation = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
        var metaLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]);
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]);
        if (kind is not (ObjectKind or TombstoneKind) || bytes[5] != 0 || nameLength is 0 or > MaxNameBytes
            || metaLength is < 0 or > MaxMetadataBytes || bodyLength is < 0 or > MaxBodyBytes)
            return ParseResult.Invalid;
        needed = Length(nameLength, metaLength, bodyLength);
        if (bytes.Length < needed) return ParseResult.NeedMore;
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(needed - TrailerLength)..]);
        if (stored != Checksum(bytes[..(needed - TrailerLength)], salt)) return ParseResult.Invalid;
        string name;
        try { name = new UTF8Encoding(false, true).GetString(bytes.Slice(HeaderLength, nameLength)); }
        catch (DecoderFallbackException) { return ParseResult.Invalid; }
        record = new ParsedRecord(kind, name, generation, HeaderLength + nameLength, metaLength, HeaderLength + nameLength + metaLength, bodyLength, needed);
        return ParseResult.Whole;
    }

    private static uint Checksum(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> salt)
    {
        var crc = new Crc32();
        crc.Append(salt);
        crc.Append(bytes);
        return crc.GetCurrentHashAsUInt32();
    }
}

/// <summary>What <see cref="SegmentRecord.TryParse"/> found.</summary>
internal enum ParseResult
{
    /// <summary>A whole record with a matching checksum.</summary>
    Whole,
    /// <summary>The bytes end inside the record.</summary>
    NeedMore,
    /// <summary>Not a record, or a record whose checksum does not match.</summary>
    Invalid,
}

/// <summary>A record found in a segment; offsets are relative to the record's start.</summary>
internal readonly record struct ParsedRecord(byte Kind, string Name, long Generation, int MetadataOffset, int MetadataLength, int BodyOffset, int BodyLength, int Length);
