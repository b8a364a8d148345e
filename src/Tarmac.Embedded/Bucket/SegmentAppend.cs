namespace Tarmac.Embedded;

/// <summary>One record waiting for the segment writer, and the task its caller awaits.</summary>
/// <param name="Record">The sealed record's bytes.</param>
/// <param name="Kind">Object or tombstone.</param>
/// <param name="Name">The object's name.</param>
/// <param name="Generation">The generation written in the record.</param>
/// <param name="MetadataOffset">Offset of the metadata inside the record.</param>
/// <param name="MetadataLength">Bytes of metadata.</param>
/// <param name="BodyOffset">Offset of the body inside the record.</param>
/// <param name="BodyLength">Bytes of the body.</param>
internal sealed record SegmentAppend(ReadOnlyMemory<byte> Record, byte Kind, string Name, long Generation, int MetadataOffset, int MetadataLength, int BodyOffset, int BodyLength)
{
    /// <summary>Completed with the record's place once it is on disk; faulted when its group could not be written.</summary>
    public TaskCompletionSource<SegmentEntry> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
