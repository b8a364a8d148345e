using System.Net;
using System.Runtime.CompilerServices;
using Google;
using Google.Cloud.Storage.V1;
using Tarmac.Core.Ports;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Tarmac.GoogleCloud;

/// <summary>
/// The raw bucket on Cloud Storage. Writes are create-only (<c>ifGenerationMatch=0</c>): a taken name
/// answers 412, which becomes <see cref="ObjectAlreadyExistsException"/>.
/// </summary>
public sealed class GcsObjectStore(StorageClient client, string bucket) : IObjectStore
{
    /// <summary>Builds the client: against <c>STORAGE_EMULATOR_HOST</c> unauthenticated, else with application-default credentials.</summary>
    public static StorageClient CreateClient(GoogleCloudOptions options)
    {
        if (options.StorageEmulatorUri is { } emulator)
            return new StorageClientBuilder { BaseUri = new Uri(emulator, "storage/v1/").ToString(), UnauthenticatedAccess = true }.Build();
        return StorageClient.Create();
    }

    /// <inheritdoc />
    public string Bucket => bucket;

    /// <inheritdoc />
    public async Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        var obj = new GcsObject
        {
            Bucket = bucket,
            Name = name,
            ContentType = ContentTypeOf(name),
            Metadata = metadata?.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
        try
        {
            var created = await client.UploadObjectAsync(obj, content, new UploadObjectOptions { IfGenerationMatch = 0 }, ct);
            return ToStored(created);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new ObjectAlreadyExistsException(name);
        }
        catch (GoogleApiException e) when (GcsErrors.IsTransient(e.HttpStatusCode))
        {
            throw GcsErrors.Unavailable(bucket, name, e);
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string name, CancellationToken ct)
    {
        // The library only downloads into a stream it is given; reading the media URL directly streams
        // a file of any size through a bounded buffer instead.
        var service = client.Service;
        var url = $"{service.BaseUri}b/{Uri.EscapeDataString(bucket)}/o/{Uri.EscapeDataString(name)}?alt=media";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var response = await service.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            throw new ObjectNotFoundException(name);
        }
        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            response.Dispose();
            var error = new HttpRequestException($"Reading gs://{bucket}/{name} failed with HTTP {(int)status}.", null, status);
            throw GcsErrors.IsTransient(status) ? GcsErrors.Unavailable(bucket, name, error) : error;
        }
        return new ResponseStream(await response.Content.ReadAsStreamAsync(ct), response);
    }

    /// <inheritdoc />
    public async Task<StoredObject?> GetAsync(string name, CancellationToken ct)
    {
        try
        {
            return ToStored(await client.GetObjectAsync(bucket, name, cancellationToken: ct));
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (GoogleApiException e) when (GcsErrors.IsTransient(e.HttpStatusCode))
        {
            throw GcsErrors.Unavailable(bucket, name, e);
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string name, long generation, CancellationToken ct)
    {
        try
        {
            // objects.delete with ifGenerationMatch removes only that generation; any other answers 412 and stays
            // (https://cloud.google.com/storage/docs/request-preconditions,
            // https://cloud.google.com/dotnet/docs/reference/Google.Cloud.Storage.V1/latest/Google.Cloud.Storage.V1.DeleteObjectOptions).
            await client.DeleteObjectAsync(bucket, name, new DeleteObjectOptions { IfGenerationMatch = generation }, ct);
            return true;
        }
        catch (GoogleApiException e) when (e.HttpStatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
        {
            // 404: already gone (a retried delete whose first attempt landed). 412: not the generation we created.
            return false;
        }
        catch (GoogleApiException e) when (GcsErrors.IsTransient(e.HttpStatusCode))
        {
            throw GcsErrors.Unavailable(bucket, name, e);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var obj in client.ListObjectsAsync(bucket, prefix).WithCancellation(ct))
            yield return ToStored(obj);
    }

    private static StoredObject ToStored(GcsObject o) =>
        new(o.Name, o.Generation ?? 0, (long)(o.Size ?? 0),
            o.Metadata is { } m ? new Dictionary<string, string>(m, StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal));

    private static string ContentTypeOf(string name) =>
        name.EndsWith(".csv", StringComparison.Ordinal) ? "text/csv"
        : name.EndsWith(".ndjson", StringComparison.Ordinal) ? "application/x-ndjson"
        : name.EndsWith(".json", StringComparison.Ordinal) ? "application/json"
        : "application/octet-stream";

    /// <summary>The body of a download; disposing it releases the HTTP response.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
