using System.Net;
using System.Runtime.CompilerServices;
using Google;
using Google.Cloud.Storage.V1;

namespace Tarmac.GoogleCloud.State;

/// <summary>
/// Small JSON documents in the raw bucket, read and written with compare-and-set. Cloud Storage is strongly consistent for
/// read-after-write, read-after-update, read-after-delete and object listing
/// (https://cloud.google.com/storage/docs/consistency), and a write with <c>ifGenerationMatch</c> succeeds only while the
/// object is still at that generation (0: does not exist), else answers 412
/// (https://cloud.google.com/storage/docs/request-preconditions). Those two facts are all the upload state relies on.
/// </summary>
public sealed class GcsStateObjects(StorageClient client, string bucket)
{
    /// <summary>The bucket the documents are in.</summary>
    public string Bucket => bucket;

    /// <summary>A document and the generation it was read at.</summary>
    public sealed record Versioned(byte[] Data, long Generation);

    /// <summary>The document, or null when it does not exist.</summary>
    public async Task<Versioned?> ReadAsync(string name, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            Google.Apis.Storage.v1.Data.Object meta;
            try
            {
                meta = await client.GetObjectAsync(bucket, name, cancellationToken: ct);
            }
            catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            catch (GoogleApiException e) when (GcsErrors.IsTransient(e.HttpStatusCode))
            {
                throw GcsErrors.Unavailable(bucket, name, e);
            }
            using var data = new MemoryStream();
            try
            {
                // Pinned to the generation just read: a concurrent replace makes this 404 instead of mixing versions.
                await client.DownloadObjectAsync(bucket, name, data, new DownloadObjectOptions { Generation = meta.Generation }, ct);
                return new Versioned(data.ToArray(), meta.Generation ?? 0);
            }
            catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound && attempt < 5)
            {
                // Replaced or deleted between the two reads: read again.
            }
            catch (GoogleApiException e) when (GcsErrors.IsTransient(e.HttpStatusCode))
            {
                throw GcsErrors.Unavailable(bucket, name, e);
            }
        }
    }

    /// <summary>Creates the document; null when it already exists.</summary>
    public Task<long?> CreateAsync(string name, byte[] data, CancellationToken ct) => WriteAsync(name, data, 0, ct);

    /// <summary>Replaces the document if it is still at <paramref name="generation"/>; null when it changed meanwhile.</summary>
    public Task<long?> ReplaceAsync(string name, byte[] data, long generation, CancellationToken ct) => WriteAsync(name, data, generation, ct);

    /// <summary>Deletes the document (at <paramref name="generation"/> when given); false when it changed meanwhile. Absent is deleted.</summary>
    public async Task<bool> DeleteAsync(string name, long? generation, CancellationToken ct)
    {
        try
        {
            await client.DeleteObjectAsync(bucket, name, new DeleteObjectOptions { IfGenerationMatch = generation }, ct);
            return true;
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return true;
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
        catch (GoogleApiException e) when (GcsErrors.IsTransient(e.HttpStatusCode))
        {
            throw GcsErrors.Unavailable(bucket, name, e);
        }
    }

    /// <summary>Names of the documents under <paramref name="prefix"/>, with their creation time.</summary>
    public async IAsyncEnumerable<(string Name, DateTimeOffset Created)> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var o in client.ListObjectsAsync(bucket, prefix).WithCancellation(ct))
            yield return (o.Name, o.TimeCreatedDateTimeOffset ?? DateTimeOffset.MinValue);
    }

    private async Task<long?> WriteAsync(string name, byte[] data, long ifGeneration, CancellationToken ct)
    {
        var obj = new Google.Apis.Storage.v1.Data.Object { Bucket = bucket, Name = name, ContentType = "application/json" };
        try
        {
            using var content = new MemoryStream(data, writable: false);
            var written = await client.UploadObjectAsync(obj, content, new UploadObjectOptions { IfGenerationMatch = ifGeneration }, ct);
            return written.Generation ?? 0;
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.PreconditionFailed)
        {
            return null;
        }
        catch (GoogleApiException e) when (GcsErrors.IsTransient(e.HttpStatusCode))
        {
            throw GcsErrors.Unavailable(bucket, name, e);
        }
    }
}
