using System.Security.Cryptography;

namespace Tarmac.Ingest;

/// <summary>
/// A read-through stream over a request body that ingest copies into the bucket unchanged. What every format shares is
/// checked here as the bytes pass: the size limit, SHA-256, no NUL bytes, UTF-8 text, a body that is not empty. The
/// format's own checks (<see cref="InspectText"/>, <see cref="FinishText"/>) see each chunk after those.
/// </summary>
public abstract class InspectingStream : Stream, IUploadInspection
{
    private readonly Stream _inner;
    private readonly long _maxBytes;
    private readonly bool _compressed;
    private readonly Texts _texts;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Utf8Check _utf8 = new();
    private bool _finished;

    /// <summary>What a refusal tells the client, in the words of the format.</summary>
    /// <param name="ReadHint">Said after a body that could not be read to its end.</param>
    /// <param name="TooLarge">The whole detail of a body over the limit (given the limit).</param>
    /// <param name="BinaryTitle">Title of a body with NUL bytes.</param>
    /// <param name="BinaryDetail">Detail of a body with NUL bytes.</param>
    /// <param name="NotUtf8">Detail of a body that is not UTF-8.</param>
    /// <param name="EndsMidCharacter">Detail of a body that ends inside a UTF-8 character.</param>
    /// <param name="Empty">Detail of an empty body.</param>
    protected sealed record Texts(string ReadHint, Func<long, string> TooLarge, string BinaryTitle, string BinaryDetail,
        string NotUtf8, string EndsMidCharacter, string Empty);

    /// <param name="inner">The request body.</param>
    /// <param name="maxBytes">Most bytes accepted.</param>
    /// <param name="compressed">Whether the body was sent compressed (an empty result is then a broken gzip body).</param>
    /// <param name="texts">The refusals' words.</param>
    protected InspectingStream(Stream inner, long maxBytes, bool compressed, Texts texts)
    {
        _inner = inner;
        _maxBytes = maxBytes;
        _compressed = compressed;
        _texts = texts;
    }

    /// <summary>Bytes read so far.</summary>
    public long Bytes { get; private set; }

    /// <inheritdoc />
    public string Sha256 { get; private set; } = "";

    /// <inheritdoc />
    public Stream Body => this;

    /// <summary>The format's check of a chunk that passed the shared ones.</summary>
    protected abstract void InspectText(ReadOnlySpan<byte> chunk);

    /// <summary>The format's check at the end of a non-empty, well-formed UTF-8 body.</summary>
    protected abstract void FinishText();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await _inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) // only the request body is read here: a truncated multipart body, a client that broke off
        {
            throw new UploadRejectedException(UploadRefusal.Invalid, "Malformed body",
                $"The request body could not be read to its end ({e.Message}). {_texts.ReadHint}");
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
        if (Bytes > _maxBytes) throw new UploadRejectedException(UploadRefusal.TooLarge, "Upload too large", _texts.TooLarge(_maxBytes));
        _sha.AppendData(chunk);
        if (chunk.IndexOf((byte)0) >= 0) throw new UploadRejectedException(UploadRefusal.Invalid, _texts.BinaryTitle, _texts.BinaryDetail);
        if (!_utf8.Append(chunk)) throw new UploadRejectedException(UploadRefusal.Invalid, "Not UTF-8", _texts.NotUtf8);
        InspectText(chunk);
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (Bytes == 0)
            throw _compressed
                ? new UploadRejectedException(UploadRefusal.Invalid, "Malformed gzip body", "The body could not be decompressed: it holds no complete gzip data. Send valid gzip, or drop Content-Encoding.")
                : new UploadRejectedException(UploadRefusal.Invalid, "Empty upload", _texts.Empty);
        if (!_utf8.Finish()) throw new UploadRejectedException(UploadRefusal.Invalid, "Not UTF-8", _texts.EndsMidCharacter);
        FinishText();
        Sha256 = Convert.ToHexStringLower(_sha.GetHashAndReset());
    }

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
