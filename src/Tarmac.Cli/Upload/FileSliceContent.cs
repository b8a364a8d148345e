using System.IO.Compression;
using System.Net;
using System.Text;

namespace Tarmac.Cli.Upload;

/// <summary>
/// A request body read from a file as it is sent: a slice of the file (a resumable chunk) or all of it, optionally inside
/// a one-file <c>multipart/form-data</c> frame (so the server records the file name) and optionally gzip-compressed on the
/// fly. Memory stays flat whatever the file's size; the meter counts file bytes, before compression.
/// </summary>
public sealed class FileSliceContent : HttpContent
{
    private const int BufferBytes = 256 << 10;
    private readonly string _path;
    private readonly long _offset;
    private readonly long _length;
    private readonly bool _gzip;
    private readonly TransferMeter _meter;
    private readonly byte[] _prefix;
    private readonly byte[] _suffix;

    private FileSliceContent(string path, long offset, long length, bool gzip, TransferMeter meter, byte[] prefix, byte[] suffix)
    {
        _path = path;
        _offset = offset;
        _length = length;
        _gzip = gzip;
        _meter = meter;
        _prefix = prefix;
        _suffix = suffix;
    }

    /// <summary>Bytes <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="length"/> of the file, as they are.</summary>
    public static FileSliceContent Slice(string path, long offset, long length, TransferMeter meter) =>
        new(path, offset, length, false, meter, [], []);

    /// <summary>The whole file as the one file field <c>file</c> of a form, gzip-compressed when <paramref name="gzip"/>.</summary>
    public static FileSliceContent Form(string path, long length, string fileName, bool gzip, TransferMeter meter)
    {
        var boundary = "tarmac-" + Guid.NewGuid().ToString("N");
        var safeName = fileName.Replace("\"", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        var prefix = Encoding.UTF8.GetBytes(
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safeName}\"\r\nContent-Type: text/csv\r\n\r\n");
        var suffix = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        var content = new FileSliceContent(path, 0, length, gzip, meter, prefix, suffix);
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        if (gzip) content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    /// <inheritdoc />
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Stream target = _gzip ? new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true) : stream;
        try
        {
            await target.WriteAsync(_prefix, cancellationToken);
            await using (var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                file.Seek(_offset, SeekOrigin.Begin);
                var buffer = new byte[BufferBytes];
                var left = _length;
                while (left > 0)
                {
                    var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                    if (read == 0) throw new UploadFailedException($"{_path} became shorter while it was being sent.");
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    left -= read;
                    _meter.Advance(read);
                }
            }
            await target.WriteAsync(_suffix, cancellationToken);
        }
        finally
        {
            if (_gzip) await target.DisposeAsync();
        }
    }

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        // Compressed: the length is known only once sent, so the body goes chunked.
        length = _gzip ? -1 : _prefix.Length + _length + _suffix.Length;
        return !_gzip;
    }
}
