using System.Globalization;
using System.Net;
using Tarmac.Cli.Http;

namespace Tarmac.Cli.Upload;

/// <summary>
/// Cloud Storage's resumable upload protocol, driven from the signed URL that <c>POST /uploads</c> hands out:
/// POST the signed URL with exactly its headers to open a session (its URI comes back in <c>Location</c>), then PUT the
/// file in chunks with <c>Content-Range</c>; 308 means "send more", 200/201 means the object exists. After a dropped
/// connection or a 5xx/429, ask the session how much it has (<c>Content-Range: bytes */total</c> → 308 with
/// <c>Range: bytes=0-N</c>, no Range meaning nothing) and go on from there: the server may have kept less than was sent.
/// A session answering 404/410 has expired (a week after it opened) and the upload must start over.
/// Protocol: https://cloud.google.com/storage/docs/performing-resumable-uploads (initiate, upload in chunks, check the
/// status, resume), https://cloud.google.com/storage/docs/xml-api/resumable-upload (the XML API's POST with
/// <c>x-goog-resumable: start</c>, answered 201 with the session URI) and https://cloud.google.com/storage/docs/resumable-uploads
/// (chunks are multiples of 256 KiB, except the last). Retries with exponential backoff on 408, 429 and 5xx:
/// https://cloud.google.com/storage/docs/retry-strategy.
/// </summary>
public sealed class ResumableSession(HttpClient http, TimeSpan retryBase)
{
    /// <summary>Chunks must be multiples of this (256 KiB).</summary>
    public const long ChunkGranularity = 256 << 10;

    /// <summary>How many times in a row a lost connection or a retryable answer is retried before giving up.</summary>
    public const int MaxRetries = 8;

    /// <summary>Opens a session at <paramref name="signedUrl"/> and sends the whole file through it.</summary>
    public async Task UploadAsync(string signedUrl, string method, IReadOnlyDictionary<string, string> headers, string path, long total,
        long chunkBytes, TransferMeter meter, CancellationToken ct)
    {
        if (chunkBytes < ChunkGranularity || chunkBytes % ChunkGranularity != 0)
            throw new ArgumentException($"The chunk size must be a positive multiple of 256 KiB, not {chunkBytes}.", nameof(chunkBytes));
        var session = await StartAsync(signedUrl, method, headers, ct);
        long offset = 0;
        var failures = 0;
        while (true)
        {
            long? next;
            try
            {
                var length = Math.Min(chunkBytes, total - offset);
                using var put = new HttpRequestMessage(HttpMethod.Put, session) { Content = FileSliceContent.Slice(path, offset, length, meter) };
                put.Content.Headers.ContentRange = new System.Net.Http.Headers.ContentRangeHeaderValue(offset, offset + length - 1, total);
                using var response = await http.SendAsync(put, HttpCompletionOption.ResponseHeadersRead, ct);
                next = await OffsetAfterAsync(response, ct);
            }
            catch (Exception e) when (IsLostConnection(e, ct) || e is RetryableAnswerException)
            {
                if (++failures > MaxRetries) throw new UploadFailedException($"The upload failed {failures} times in a row; last: {e.Message}", e);
                meter.Note($"connection lost at {ByteText.Size(meter.Position)} ({e.Message}); asking the bucket how much it has");
                next = await RecoverAsync(session, total, failures, ct);
                meter.Note(next is null ? "the bucket has the whole file" : $"resuming from byte {next.Value.ToString(CultureInfo.InvariantCulture)}");
            }
            if (next is null)
            {
                meter.MoveTo(total);
                return;
            }
            if (next.Value != meter.Position) meter.MoveTo(next.Value);
            if (next.Value > offset) failures = 0;
            offset = next.Value;
        }
    }

    private async Task<Uri> StartAsync(string signedUrl, string method, IReadOnlyDictionary<string, string> headers, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var start = new HttpRequestMessage(new HttpMethod(method), signedUrl) { Content = new ByteArrayContent([]) };
                // Exactly the signed headers: each one is part of the signature.
                foreach (var (name, value) in headers)
                    if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase)) start.Content.Headers.TryAddWithoutValidation("Content-Type", value);
                    else start.Headers.TryAddWithoutValidation(name, value);
                using var response = await http.SendAsync(start, ct);
                if (IsRetryable(response.StatusCode) && attempt <= MaxRetries) { await BackoffAsync(attempt, ct); continue; }
                if (!response.IsSuccessStatusCode) throw new ApiProblemException(await ApiProblem.ReadAsync(response, ct));
                return response.Headers.Location is { } location
                    ? (location.IsAbsoluteUri ? location : new Uri(new Uri(signedUrl), location))
                    : throw new UploadFailedException("The bucket opened no upload session (its answer has no Location header).");
            }
            catch (Exception e) when (IsLostConnection(e, ct) && attempt <= MaxRetries)
            {
                await BackoffAsync(attempt, ct);
            }
        }
    }

    /// <summary>Asks the session how much it has; null when it has the whole file (the object exists).</summary>
    private async Task<long?> RecoverAsync(Uri session, long total, int failures, CancellationToken ct)
    {
        for (var attempt = failures; ; attempt++)
        {
            await BackoffAsync(attempt, ct);
            try
            {
                using var query = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent([]) };
                query.Content.Headers.TryAddWithoutValidation("Content-Range", $"bytes */{total.ToString(CultureInfo.InvariantCulture)}");
                using var response = await http.SendAsync(query, ct);
                return await OffsetAfterAsync(response, ct);
            }
            catch (Exception e) when ((IsLostConnection(e, ct) || e is RetryableAnswerException) && attempt < failures + MaxRetries)
            {
            }
        }
    }

    /// <summary>The byte the session wants next (308), null when the upload is complete (200/201), or an exception.</summary>
    private static async Task<long?> OffsetAfterAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created) return null;
        if ((int)response.StatusCode == 308)
        {
            // "Range: bytes=0-N": the session has N+1 bytes. No Range header: it has none.
            var range = response.Headers.TryGetValues("Range", out var values) ? values.FirstOrDefault() : null;
            if (range is null) return 0;
            var dash = range.LastIndexOf('-');
            return dash > 0 && long.TryParse(range.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                ? last + 1 : throw new UploadFailedException($"The bucket answered an unreadable Range header '{range}'.");
        }
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            throw new UploadFailedException($"The upload session has expired (the bucket answered {(int)response.StatusCode}); run the upload again.");
        if (IsRetryable(response.StatusCode)) throw new RetryableAnswerException((int)response.StatusCode);
        throw new ApiProblemException(await ApiProblem.ReadAsync(response, ct));
    }

    private static bool IsRetryable(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static bool IsLostConnection(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested && e is HttpRequestException or IOException or TaskCanceledException;

    private Task BackoffAsync(int attempt, CancellationToken ct)
    {
        var ms = Math.Min(30_000, retryBase.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1)));
        return Task.Delay(TimeSpan.FromMilliseconds(ms * (0.5 + Random.Shared.NextDouble() / 2)), ct);
    }

    private sealed class RetryableAnswerException(int status) : Exception($"the bucket answered {status}");
}
