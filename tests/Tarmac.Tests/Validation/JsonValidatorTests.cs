using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using Tarmac.Ingest;

namespace Tarmac.Tests.Validation;

/// <summary>
/// The JSON record reader and the ingest framing check over streams that hand out a few bytes at a time, so every record,
/// token and UTF-8 character crosses read boundaries somewhere: the outcome must be the one a single read gives.
/// </summary>
public class JsonValidatorTests
{
    private static readonly DatasetSchema Schema = SchemaCatalog.Parse("things", """
        [{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"},{"name":"score","type":"FLOAT"}]
        """);

    private sealed class ListSink : IRowSink
    {
        public List<(long Line, long Id, string? Label)> Rows { get; } = [];
        public void Append(ReadOnlySpan<FieldValue> row, long line) => Rows.Add((line, row[0].Int64, row[1].String));
    }

    /// <summary>A non-seekable stream that returns at most <paramref name="step"/> bytes a read.</summary>
    private sealed class TrickleStream(byte[] data, int step) : Stream
    {
        private int _pos;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, step), data.Length - _pos);
            Array.Copy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<(ValidationResult, ListSink)> Validate(string body, UploadFormat format, int step, int maxRecordBytes = 1 << 20)
    {
        var sink = new ListSink();
        var result = await JsonValidator.ValidateAsync(new TrickleStream(Encoding.UTF8.GetBytes(body), step), format, Schema, sink, default, maxRecordBytes);
        return (result, sink);
    }

    private static readonly string ArrayBody = "\uFEFF[ {\"id\": 1, \"label\": \"Ñandú ✈ 𝄞\"},\n{\"id\": 2, \"label\": \"a\\\"b\\u00e9\"} ,\n\"x\",\n{\"id\": 4,\n \"score\": \"no\"}, {\"id\": 5, \"nested\": [1, {\"a\": [2]}]}, {\"id\": 6} ]\n";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task An_array_read_a_few_bytes_at_a_time_frames_every_element(int step)
    {
        var (result, sink) = await Validate(ArrayBody, UploadFormat.Json, step);
        Assert.Equal((3L, 3L), (result.RowsAccepted, result.RowsRejected));
        Assert.Equal([(0L, 1L, "Ñandú ✈ 𝄞"), (1L, 2L, "a\"bé"), (5L, 6L, null)], sink.Rows);
        Assert.Equal([(3L, 2L, (string?)null, "expected a JSON object (one record), found a string"), (4L, 3L, "score", "must be a finite number"), (5L, 4L, "nested", "unknown field: dataset 'things' has no such column (columns: id, label, score)")],
            result.Errors.Select(e => (e.Line, e.Index!.Value, e.Column, e.Reason)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(4096)]
    public async Task Ndjson_read_a_few_bytes_at_a_time_keeps_line_numbers(int step)
    {
        var body = "\uFEFF{\"id\": 1, \"label\": \"é\"}\r\n\n{\"id\": 2,\n{\"id\": 4}\n  \n{\"id\": 6, \"label\": \"𝄞\"}";
        var (result, sink) = await Validate(body, UploadFormat.Ndjson, step);
        Assert.Equal((3L, 1L), (result.RowsAccepted, result.RowsRejected));
        Assert.Equal([(1L, 1L, "é"), (4L, 4L, null), (6L, 6L, "𝄞")], sink.Rows);
        Assert.Equal(3L, Assert.Single(result.Errors).Line);
        Assert.Null(result.Errors[0].Index);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4096)]
    public async Task An_ndjson_line_over_the_record_limit_is_one_row_error_and_reading_goes_on(int step)
    {
        var body = "{\"id\": 1}\n{\"id\": 2, \"label\": \"" + new string('x', 300) + "\"}\n{\"id\": 3}\n";
        var (result, sink) = await Validate(body, UploadFormat.Ndjson, step, maxRecordBytes: 100);
        Assert.Equal((2L, 1L), (result.RowsAccepted, result.RowsRejected));
        Assert.Equal([1L, 3L], sink.Rows.Select(r => r.Id));
        Assert.Equal((2L, "the line is longer than the limit of 100 bytes for one record"), (result.Errors[0].Line, result.Errors[0].Reason));
    }

    [Fact]
    public async Task Broken_json_in_an_array_ends_with_one_error_from_where_it_broke()
    {
        // Ingest refuses such a body; the reader's backstop still counts the records before the fault and the fault itself.
        var (result, sink) = await Validate("[{\"id\": 1},\n{\"id\": 2,, }, {\"id\": 3}]", UploadFormat.Json, 2);
        Assert.Equal((1L, 1L), (result.RowsAccepted, result.RowsRejected));
        Assert.Equal(2L, result.Errors.Single().Line);
        Assert.StartsWith("the body is not valid JSON from here on", result.Errors[0].Reason);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(65536)]
    public async Task Ingest_framing_accepts_the_same_bodies_in_any_chunking_and_hashes_them_whole(int step)
    {
        foreach (var (body, format) in new[] { (ArrayBody, UploadFormat.Json), ("\uFEFF\n{\"a\": \"𝄞\"}\nnot json\n", UploadFormat.Ndjson), ("  {\"a\": [1, {\"b\": null}]}  ", UploadFormat.Json) })
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            using var inspector = new InspectingJsonStream(new TrickleStream(bytes, step), format, 1 << 20);
            await inspector.CopyToAsync(Stream.Null, 7);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), inspector.Sha256);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public async Task Ingest_framing_refuses_a_record_over_the_limit_or_a_split_character_at_the_end(int step)
    {
        var big = "[{\"id\": 1}, {\"label\": \"" + new string('x', (1 << 20) + 10) + "\"}]";
        using (var inspector = new InspectingJsonStream(new TrickleStream(Encoding.UTF8.GetBytes(big), step * 1000), UploadFormat.Json, 1L << 30))
        {
            var e = await Assert.ThrowsAsync<UploadRejectedException>(() => inspector.CopyToAsync(Stream.Null));
            Assert.Equal("The record at array index 1 is longer than the limit of 1048576 bytes for one record.", e.Message);
        }
        var cut = Encoding.UTF8.GetBytes("{\"a\": \"é")[..^1];
        using (var inspector = new InspectingJsonStream(new TrickleStream(cut, step), UploadFormat.Ndjson, 1L << 30))
            Assert.Equal("Not UTF-8", (await Assert.ThrowsAsync<UploadRejectedException>(() => inspector.CopyToAsync(Stream.Null))).Title);
    }
}
