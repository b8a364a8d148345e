using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// Writes each accepted row as one JSON line (schema columns plus <c>_upload_id</c>, <c>_line</c>,
/// <c>_loaded_at</c>) into a pipe that is uploaded while it fills, so staging a file of any size needs a
/// bounded buffer. Rows arrive synchronously from the validator, so a full pipe blocks the validating
/// thread (run it off the request thread) until the upload has drained it.
/// </summary>
internal sealed class NdjsonRowSink : IRowSink, IDisposable
{
    private const int FlushEvery = 256 * 1024;
    private readonly PipeWriter _pipe;
    private readonly DatasetSchema _dataset;
    private readonly string _uploadId;
    private readonly string _loadedAt;
    private readonly Utf8JsonWriter _json;
    private readonly JsonEncodedText[] _names;
    private long _unflushed;
    private bool _readerGone;

    public NdjsonRowSink(PipeWriter pipe, DatasetSchema dataset, string uploadId, DateTimeOffset loadedAt)
    {
        _pipe = pipe;
        _dataset = dataset;
        _uploadId = uploadId;
        _loadedAt = Timestamp(loadedAt.UtcDateTime);
        _json = new Utf8JsonWriter((IBufferWriter<byte>)pipe, new JsonWriterOptions { SkipValidation = true });
        _names = dataset.Columns.Select(c => JsonEncodedText.Encode(c.Name)).ToArray();
    }

    private static readonly JsonEncodedText UploadIdName = JsonEncodedText.Encode("_upload_id");
    private static readonly JsonEncodedText LineName = JsonEncodedText.Encode("_line");
    private static readonly JsonEncodedText LoadedAtName = JsonEncodedText.Encode("_loaded_at");

    /// <summary>BigQuery's canonical timestamp text, read as UTC.</summary>
    public static string Timestamp(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    public void Append(ReadOnlySpan<FieldValue> row, long line)
    {
        if (_readerGone) return;
        var columns = _dataset.Columns;
        _json.Reset();
        _json.WriteStartObject();
        for (var i = 0; i < columns.Count; i++)
        {
            ref readonly var v = ref row[i];
            if (v.IsNull) continue; // an absent key loads as NULL
            switch (columns[i].Type)
            {
                case ColumnType.Integer: WriteInt64(_names[i], v.Int64); break;
                case ColumnType.Float:
                    if (double.IsFinite(v.Double)) _json.WriteNumber(_names[i], v.Double);
                    else _json.WriteString(_names[i], double.IsNaN(v.Double) ? "NaN" : v.Double > 0 ? "Infinity" : "-Infinity");
                    break;
                case ColumnType.Numeric: _json.WriteString(_names[i], v.Decimal.ToString(CultureInfo.InvariantCulture)); break;
                case ColumnType.Boolean: _json.WriteBoolean(_names[i], v.Boolean); break;
                case ColumnType.String: _json.WriteString(_names[i], v.String); break;
                case ColumnType.Date: _json.WriteString(_names[i], v.DateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
                case ColumnType.Timestamp: _json.WriteString(_names[i], Timestamp(v.DateTime)); break;
            }
        }
        _json.WriteString(UploadIdName, _uploadId);
        WriteInt64(LineName, line);
        _json.WriteString(LoadedAtName, _loadedAt);
        _json.WriteEndObject();
        _json.Flush();
        _unflushed += _json.BytesCommitted;
        var nl = _pipe.GetSpan(1);
        nl[0] = (byte)'\n';
        _pipe.Advance(1);
        if (++_unflushed < FlushEvery) return;
        _unflushed = 0;
        // Blocks while the upload is behind: the backpressure that keeps memory bounded.
        _readerGone = _pipe.FlushAsync().AsTask().GetAwaiter().GetResult().IsCompleted;
    }

    /// <summary>
    /// An INT64 as a JSON string: BigQuery's JSON loader corrupts integers outside ±2^53 written as numbers and reads
    /// strings exactly (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-json#limitations).
    /// </summary>
    private void WriteInt64(JsonEncodedText name, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out var n, provider: CultureInfo.InvariantCulture);
        _json.WriteString(name, digits[..n]);
    }

    /// <summary>Flushes what is left and ends the stream.</summary>
    public async Task CompleteAsync()
    {
        if (!_readerGone) await _pipe.FlushAsync();
        await _pipe.CompleteAsync();
    }

    public void Dispose() => _json.Dispose();
}
