using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Ingest;

/// <summary>
/// A read-through stream over the request body that ingest copies into the bucket. On the way it counts
/// bytes, computes SHA-256, checks the bytes are UTF-8 text, and checks the header line against the
/// schema as soon as it has arrived, so a wrong file is refused while it streams, with a bounded buffer
/// whatever the file's size.
/// </summary>
public sealed class InspectingUploadStream(Stream inner, DatasetSchema dataset, long maxBytes, bool compressed = false) : Stream
{
    private const int MaxHeaderBytes = 64 * 1024;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Utf8Check _utf8 = new();
    private byte[]? _header = ArrayPool<byte>.Shared.Rent(MaxHeaderBytes);
    private int _headerLength;
    private bool _headerDone;
    private bool _hasData;
    private bool _finished;

    /// <summary>Bytes read so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Lower-case hex SHA-256 of everything read; valid once the stream reached its end.</summary>
    public string Sha256 { get; private set; } = "";

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) // only the request body is read here: a truncated multipart body, a client that broke off
        {
            throw new UploadRejectedException(UploadRefusal.Invalid, "Malformed body",
                $"The request body could not be read to its end ({e.Message}). Send the whole file; for a form, end it with its closing boundary.");
        }
        if (n == 0) { Finish(); return 0; }
        Inspect(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    private void Inspect(ReadOnlySpan<byte> chunk)
    {
        Bytes += chunk.Length;
        if (Bytes > maxBytes)
            throw new UploadRejectedException(UploadRefusal.TooLarge, "Upload too large",
                $"The upload exceeds the limit of {maxBytes} bytes. {UploadLimits.LargeFileHint}");
        _sha.AppendData(chunk);
        if (chunk.IndexOf((byte)0) >= 0)
            throw new UploadRejectedException(UploadRefusal.Invalid, "Not a text file", "The body contains NUL bytes: it looks binary. Send the CSV as UTF-8 text.");
        if (!_utf8.Append(chunk))
            throw new UploadRejectedException(UploadRefusal.Invalid, "Not UTF-8",
                "The body is not valid UTF-8 text. Save the CSV as UTF-8 (plain ASCII is fine) and send it again.");
        if (!_headerDone) CollectHeader(chunk);
        else if (!_hasData) _hasData = chunk.IndexOfAnyExcept(" \t\r\n"u8) >= 0;
    }

    private void CollectHeader(ReadOnlySpan<byte> chunk)
    {
        var newline = chunk.IndexOf((byte)'\n');
        var take = newline >= 0 ? newline : chunk.Length;
        if (_headerLength + take > MaxHeaderBytes)
            throw new UploadRejectedException(UploadRefusal.Invalid, "No CSV header",
                $"The first line is longer than {MaxHeaderBytes} bytes: this does not look like a CSV file with a header line.");
        chunk[..take].CopyTo(_header.AsSpan(_headerLength));
        _headerLength += take;
        if (newline < 0) return;
        CheckHeader();
        _hasData = chunk[(newline + 1)..].IndexOfAnyExcept(" \t\r\n"u8) >= 0;
    }

    private void CheckHeader()
    {
        _headerDone = true;
        var text = Encoding.UTF8.GetString(_header!, 0, _headerLength);
        ArrayPool<byte>.Shared.Return(_header!);
        _header = null;
        if (CsvHeader.TryCreate(dataset, CsvHeader.SplitLine(text, dataset.Options.Separator), out var problem) is null)
            throw new UploadRejectedException(UploadRefusal.Invalid, "CSV header does not match the dataset", problem!);
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (Bytes == 0)
            throw compressed
                ? new UploadRejectedException(UploadRefusal.Invalid, "Malformed gzip body", "The body could not be decompressed: it holds no complete gzip data. Send valid gzip, or drop Content-Encoding.")
                : new UploadRejectedException(UploadRefusal.Invalid, "Empty upload", "The body is empty. Send a CSV file: a header line, then one line per row.");
        if (!_utf8.Finish())
            throw new UploadRejectedException(UploadRefusal.Invalid, "Not UTF-8", "The body ends in the middle of a UTF-8 character. Save the CSV as UTF-8 and send it again.");
        if (!_headerDone) CheckHeader();
        if (!_hasData)
            throw new UploadRejectedException(UploadRefusal.Invalid, "No rows", "The file has a header line but no data rows.");
        Sha256 = Convert.ToHexStringLower(_sha.GetHashAndReset());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
            if (_header is not null) ArrayPool<byte>.Shared.Return(_header);
            _header = null;
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Bytes; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
