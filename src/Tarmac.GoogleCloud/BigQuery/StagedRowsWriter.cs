using System.Globalization;
using System.IO.Pipelines;
using Tarmac.Core.Ports;
using Tarmac.Core.Validation;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// Streams one upload's accepted rows as NDJSON into a new <c>staging/…</c> object while they are validated: the rows pass
/// through a bounded pipe that the object upload drains, so staging a file of any size needs a bounded buffer.
/// </summary>
internal sealed class StagedRowsWriter : IUploadRowWriter
{
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, useSynchronizationContext: false));
    private readonly NdjsonRowSink _sink;
    private readonly Task _upload;
    private readonly CancellationToken _ct;
    private bool _completed;

    public StagedRowsWriter(IObjectStore bucket, string stagedName, LoadRequest request, long sourceGeneration, DateTimeOffset loadedAt, CancellationToken ct)
    {
        _ct = ct;
        _sink = new NdjsonRowSink(_pipe.Writer, request.Dataset, request.Upload.UploadId, loadedAt);
        var metadata = new Dictionary<string, string>
        {
            ["upload_id"] = request.Upload.UploadId, ["source_generation"] = sourceGeneration.ToString(CultureInfo.InvariantCulture),
        };
        _upload = Task.Run(async () =>
        {
            try
            {
                await bucket.CreateAsync(stagedName, _pipe.Reader.AsStream(leaveOpen: true), metadata, ct);
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another delivery staged the same rows first: theirs are as good as ours.
            }
            finally
            {
                await _pipe.Reader.CompleteAsync();
            }
        }, ct);
    }

    public void Append(ReadOnlySpan<FieldValue> row, long line) => _sink.Append(row, line);

    public async Task CompleteAsync(CancellationToken ct)
    {
        await _sink.CompleteAsync();
        _completed = true;
        await _upload;
    }

    /// <summary>Without <see cref="CompleteAsync"/> (validation failed), ends the stream with the failure so no partial object is made.</summary>
    public async ValueTask DisposeAsync()
    {
        _sink.Dispose();
        if (_completed) return;
        await _pipe.Writer.CompleteAsync(new OperationCanceledException("Staging was abandoned."));
        try { await _upload; } catch (Exception) when (!_ct.IsCancellationRequested) { }
    }
}
