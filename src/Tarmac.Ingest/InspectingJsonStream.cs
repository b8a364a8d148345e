using System.Security.Cryptography;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Ingest;

/// <summary>
/// A read-through stream over a JSON or NDJSON request body that ingest copies into the bucket unchanged. On the way it
/// counts bytes against the limit, computes SHA-256, checks the bytes are UTF-8 text (RFC 8259 §8.1 requires it) and checks
/// the body's framing (<see cref="JsonBodyFraming"/>, <see cref="NdjsonBodyFraming"/>), with bounded memory whatever its size.
/// </summary>
public sealed class InspectingJsonStream : Stream, IUploadInspection
{
    private readonly Stream _inner;
    private readonly long _maxBytes;
    private readonly bool _compressed;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Utf8Check _utf8 = new();
    private readonly IBodyFraming _framing;
    private bool _finished;

    /// <summary>Inspects <paramref name="inner"/> as <paramref name="format"/> (JSON or NDJSON), refusing more than <paramref name="maxBytes"/>.</summary>
    public InspectingJsonStream(Stream inner, UploadFormat format, long maxBytes, bool compressed = false)
    {
        _inner = inner;
        _maxBytes = maxBytes;
        _compressed = compressed;
        _framing = format switch
        {
            UploadFormat.Json => new JsonBodyFraming(JsonRecordReader.DefaultMaxRecordBytes),
            UploadFormat.Ndjson => new NdjsonBodyFraming(JsonRecordReader.DefaultMaxRecordBytes),
            _ => throw new ArgumentException("CSV is inspected by InspectingUploadStream.", nameof(format)),
        };
    }

    /// <summary>Bytes read so far.</summary>
    public long Bytes { get; private set; }

    /// <inheritdoc />
    public string Sha256 { get; private set; } = "";

    /// <inheritdoc />
    public Stream Body => this;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await _inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) // only the request body is read here: a client that broke off
        {
            throw new UploadRejectedException(UploadRefusal.Invalid, "Malformed body",
                $"The request body could not be read to its end ({e.Message}). Send the whole body.");
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
        if (Bytes > _maxBytes)
            throw new UploadRejectedException(UploadRefusal.TooLarge, "Upload too large",
                $"The body exceeds the limit of {_maxBytes} bytes. Send the records in several smaller requests.");
        _sha.AppendData(chunk);
        if (chunk.IndexOf((byte)0) >= 0)
            throw new UploadRejectedException(UploadRefusal.Invalid, "Not a text body", "The body contains NUL bytes: it looks binary. Send JSON as UTF-8 text.");
        if (!_utf8.Append(chunk)) throw NotUtf8();
        _framing.Feed(chunk);
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (Bytes == 0)
            throw _compressed
                ? new UploadRejectedException(UploadRefusal.Invalid, "Malformed gzip body", "The body could not be decompressed: it holds no complete gzip data. Send valid gzip, or drop Content-Encoding.")
                : new UploadRejectedException(UploadRefusal.Invalid, "Empty upload", "The body is empty. Send one JSON object, an array of objects, or one object per line (NDJSON).");
        if (!_utf8.Finish()) throw NotUtf8();
        _framing.Finish();
        Sha256 = Convert.ToHexStringLower(_sha.GetHashAndReset());
    }

    private static UploadRejectedException NotUtf8() =>
        new(UploadRefusal.Invalid, "Not UTF-8", "The body is not valid UTF-8 text (RFC 8259 requires JSON to be UTF-8). Encode it as UTF-8 and send it again.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _sha.Dispose();
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
