namespace Tarmac.Embedded;

/// <summary>Where one object of the segment log lives: its segment, and its metadata's and body's place in the file.</summary>
/// <param name="Segment">Number of the segment file.</param>
/// <param name="MetadataOffset">Offset of the metadata JSON in the file.</param>
/// <param name="MetadataLength">Bytes of metadata (0: none).</param>
/// <param name="BodyOffset">Offset of the body in the file.</param>
/// <param name="BodyLength">Bytes of the body.</param>
/// <param name="Generation">The object's generation, as written in its record (so it is the same after a restart).</param>
internal readonly record struct SegmentEntry(int Segment, long MetadataOffset, int MetadataLength, long BodyOffset, int BodyLength, long Generation);
