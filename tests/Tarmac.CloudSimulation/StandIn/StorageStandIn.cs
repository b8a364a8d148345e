using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// The Cloud Storage JSON API as <c>Google.Cloud.Storage.V1</c> calls it: resumable, multipart and simple (media)
/// uploads, object metadata, <c>alt=media</c> downloads, list with prefix/delimiter/pageToken/maxResults, delete.
/// <para>
/// Consistency: "Cloud Storage provides strong global consistency for ... Object read-after-write ... Object listing"
/// (https://cloud.google.com/storage/docs/consistency): a write is visible to every read and list as soon as it is
/// answered, so the state is one dictionary under one lock and nothing is ever stale.
/// </para>
/// <para>
/// Preconditions (https://cloud.google.com/storage/docs/request-preconditions): <c>ifGenerationMatch</c>,
/// <c>ifGenerationNotMatch</c>, <c>ifMetagenerationMatch</c>, <c>ifMetagenerationNotMatch</c> on uploads, gets and deletes;
/// <c>ifGenerationMatch=0</c> means "only if no live object exists"; a failed precondition answers 412 (304 for a
/// read's <c>ifGenerationNotMatch</c>/<c>ifMetagenerationNotMatch</c>). A resumable upload checks its preconditions
/// when it is finalized, as the object is created then.
/// </para>
/// </summary>
public sealed class StorageStandIn(CloudStandIn host)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredBlob> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private long _generation = 1_700_000_000_000_000;

    /// <summary>Raised after each object is finalized (created or replaced), as a bucket notification would be.</summary>
    public event Action<StoredBlob>? Finalized;

    public StoredBlob? Get(string bucket, string name)
    {
        lock (_lock) return _objects.GetValueOrDefault(Key(bucket, name));
    }

    public IReadOnlyList<StoredBlob> List(string bucket, string prefix)
    {
        lock (_lock) return _objects.Values.Where(o => o.Bucket == bucket && o.Name.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(o => o.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Puts an object as a client upload would (no precondition); raises <see cref="Finalized"/>.</summary>
    public StoredBlob Put(string bucket, string name, byte[] data, IReadOnlyDictionary<string, string>? metadata = null, string contentType = "application/octet-stream")
    {
        var (blob, _) = Write(bucket, name, data, metadata ?? new Dictionary<string, string>(), contentType, Preconditions.None);
        return blob!;
    }

    internal Task ServeAsync(string route, StandInRequest r) => (route, r.Segments) switch
    {
        ("storage.upload", [_, _, _, _, var bucket, _]) => UploadAsync(r, bucket),
        ("storage.list", [_, _, _, var bucket, _]) => ListAsync(r, bucket),
        ("storage.get", ["download", _, _, _, var bucket, _, var name]) => GetAsync(r, bucket, name),
        ("storage.get", [_, _, _, var bucket, _, var name]) => GetAsync(r, bucket, name),
        ("storage.delete", [_, _, _, var bucket, _, var name]) => DeleteAsync(r, bucket, name),
        _ => Problem.Write(r.Context, 501, "notImplemented", $"The storage stand-in does not serve {route}."),
    };

    private async Task UploadAsync(StandInRequest r, string bucket)
    {
        var type = r.Query["uploadType"].ToString();
        var conditions = Preconditions.From(r.Query);
        if (type == "resumable" && r.Method == "POST")
        {
            var resource = r.Json?.AsObject() ?? [];
            var name = r.Query["name"].FirstOrDefault() ?? resource["name"]?.GetValue<string>();
            if (name is null) { await Problem.Write(r.Context, 400, "required", "Required: object name"); return; }
            // Checked at start too, as GCS does, so a create-only upload of a taken name fails before any byte is sent.
            if (conditions.Failure(Get(bucket, name), read: false) is { } early) { await Problem.Write(r.Context, early, "conditionNotMet", PreconditionMessage); return; }
            var id = Guid.NewGuid().ToString("N");
            _sessions[id] = new Session(bucket, name, resource, conditions, r.Context.Request.Headers["X-Upload-Content-Type"].FirstOrDefault() ?? resource["contentType"]?.GetValue<string>());
            r.Context.Response.Headers.Location = $"{host.BaseUrl}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={id}";
            r.Context.Response.StatusCode = 200;
            return;
        }
        if (type == "resumable")
        {
            if (!_sessions.TryGetValue(r.Query["upload_id"].ToString(), out var session)) { await Problem.Write(r.Context, 404, "notFound", "No such upload session."); return; }
            var range = r.Context.Request.Headers.ContentRange.ToString(); // "bytes a-b/total", "bytes a-b/*", "bytes */total"
            if (!range.StartsWith("bytes */", StringComparison.Ordinal)) lock (session) session.Data.Write(r.Body);
            var total = range.Length == 0 ? session.Data.Length.ToString(CultureInfo.InvariantCulture) : range[(range.IndexOf('/', StringComparison.Ordinal) + 1)..];
            if (total == "*" || long.Parse(total, CultureInfo.InvariantCulture) > session.Data.Length)
            {
                r.Context.Response.StatusCode = 308;
                if (session.Data.Length > 0) r.Context.Response.Headers["Range"] = $"bytes=0-{session.Data.Length - 1}";
                return;
            }
            _sessions.TryRemove(r.Query["upload_id"].ToString(), out _);
            await FinishAsync(r, session.Bucket, session.Name, session.Data.ToArray(), session.Resource, session.Conditions, session.ContentType);
            return;
        }
        if (type == "multipart")
        {
            var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(r.Context.Request.ContentType).Boundary).Value!;
            var reader = new MultipartReader(boundary, new MemoryStream(r.Body));
            var metaSection = await reader.ReadNextSectionAsync();
            var resourceText = metaSection is null ? "" : await new StreamReader(metaSection.Body).ReadToEndAsync();
            var mediaSection = await reader.ReadNextSectionAsync();
            if (resourceText.Length == 0 || mediaSection is null) { await Problem.Write(r.Context, 400, "invalid", "A multipart upload has a metadata part and a media part."); return; }
            var resource = JsonNode.Parse(resourceText)!.AsObject();
            using var media = new MemoryStream();
            await mediaSection.Body.CopyToAsync(media);
            var name = resource["name"]?.GetValue<string>() ?? r.Query["name"].ToString();
            await FinishAsync(r, bucket, name, media.ToArray(), resource, conditions, mediaSection.ContentType);
            return;
        }
        if (type == "media")
        {
            await FinishAsync(r, bucket, r.Query["name"].ToString(), r.Body, [], conditions, r.Context.Request.ContentType);
            return;
        }
        await Problem.Write(r.Context, 400, "invalid", $"uploadType '{type}' is not one of resumable, multipart, media.");
    }

    private const string PreconditionMessage = "At least one of the pre-conditions you specified did not hold.";

    private async Task FinishAsync(StandInRequest r, string bucket, string name, byte[] data, JsonObject resource, Preconditions conditions, string? contentType)
    {
        var metadata = resource["metadata"] is JsonObject md ? md.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "", StringComparer.Ordinal) : [];
        var (blob, failure) = Write(bucket, name, data, metadata, contentType ?? resource["contentType"]?.GetValue<string>() ?? "application/octet-stream", conditions);
        if (failure is { } status) { await Problem.Write(r.Context, status, "conditionNotMet", PreconditionMessage); return; }
        await Problem.Json(r.Context, 200, blob!.Resource());
    }

    private (StoredBlob? Blob, int? Failure) Write(string bucket, string name, byte[] data, IReadOnlyDictionary<string, string> metadata, string contentType, Preconditions conditions)
    {
        StoredBlob blob;
        lock (_lock)
        {
            if (conditions.Failure(_objects.GetValueOrDefault(Key(bucket, name)), read: false) is { } failure) return (null, failure);
            blob = new StoredBlob(bucket, name, Interlocked.Increment(ref _generation), 1, data, metadata, contentType, DateTimeOffset.UtcNow);
            _objects[Key(bucket, name)] = blob;
        }
        Finalized?.Invoke(blob);
        return (blob, null);
    }

    private async Task GetAsync(StandInRequest r, string bucket, string name)
    {
        var blob = Get(bucket, name);
        if (blob is null) { await Problem.Write(r.Context, 404, "notFound", $"No such object: {bucket}/{name}"); return; }
        if (Preconditions.From(r.Query).Failure(blob, read: true) is { } failure)
        {
            if (failure == 304) r.Context.Response.StatusCode = 304;
            else await Problem.Write(r.Context, failure, "conditionNotMet", PreconditionMessage);
            return;
        }
        if (r.Query["alt"] == "media" || r.Segments[0] == "download")
        {
            r.Context.Response.ContentType = blob.ContentType;
            r.Context.Response.Headers["x-goog-generation"] = blob.Generation.ToString(CultureInfo.InvariantCulture);
            r.Context.Response.ContentLength = blob.Data.Length;
            await r.Context.Response.Body.WriteAsync(blob.Data);
            return;
        }
        await Problem.Json(r.Context, 200, blob.Resource());
    }

    private async Task ListAsync(StandInRequest r, string bucket)
    {
        var prefix = r.Query["prefix"].ToString();
        var delimiter = r.Query["delimiter"].ToString();
        var max = int.TryParse(r.Query["maxResults"], out var m) && m > 0 ? Math.Min(m, 1000) : 1000;
        var after = r.Query["pageToken"].ToString();
        // One ordered sequence of entries (objects and, with a delimiter, rolled-up prefixes), paged by the last name.
        var entries = new SortedDictionary<string, StoredBlob?>(StringComparer.Ordinal);
        foreach (var o in List(bucket, prefix))
        {
            var rest = o.Name[prefix.Length..];
            var cut = delimiter.Length > 0 ? rest.IndexOf(delimiter, StringComparison.Ordinal) : -1;
            if (cut >= 0) entries.TryAdd(prefix + rest[..(cut + delimiter.Length)], null);
            else entries[o.Name] = o;
        }
        var page = entries.Where(e => after.Length == 0 || string.CompareOrdinal(e.Key, after) > 0).Take(max + 1).ToList();
        var items = new JsonArray();
        var prefixes = new JsonArray();
        foreach (var (key, blob) in page.Take(max))
            if (blob is null) prefixes.Add(key); else items.Add(blob.Resource());
        var answer = new JsonObject { ["kind"] = "storage#objects", ["items"] = items };
        if (prefixes.Count > 0) answer["prefixes"] = prefixes;
        if (page.Count > max) answer["nextPageToken"] = page[max - 1].Key;
        await Problem.Json(r.Context, 200, answer);
    }

    private async Task DeleteAsync(StandInRequest r, string bucket, string name)
    {
        int? failure;
        lock (_lock)
        {
            var blob = _objects.GetValueOrDefault(Key(bucket, name));
            failure = blob is null ? 404 : Preconditions.From(r.Query).Failure(blob, read: false);
            if (failure is null) _objects.Remove(Key(bucket, name));
        }
        if (failure == 404) { await Problem.Write(r.Context, 404, "notFound", $"No such object: {bucket}/{name}"); return; }
        if (failure is { } status) { await Problem.Write(r.Context, status, "conditionNotMet", PreconditionMessage); return; }
        r.Context.Response.StatusCode = 204;
    }

    private static string Key(string bucket, string name) => bucket + "/" + name;

    private sealed record Session(string Bucket, string Name, JsonObject Resource, Preconditions Conditions, string? ContentType)
    {
        public MemoryStream Data { get; } = new();
    }

    /// <summary>The JSON API's four generation/metageneration preconditions.</summary>
    internal sealed record Preconditions(long? IfGenerationMatch, long? IfGenerationNotMatch, long? IfMetagenerationMatch, long? IfMetagenerationNotMatch)
    {
        public static readonly Preconditions None = new(null, null, null, null);

        public static Preconditions From(IQueryCollection q) => new(Long(q, "ifGenerationMatch"), Long(q, "ifGenerationNotMatch"), Long(q, "ifMetagenerationMatch"), Long(q, "ifMetagenerationNotMatch"));

        /// <summary>The status a request gets when a precondition fails on <paramref name="live"/> (null: the live object, or none).</summary>
        public int? Failure(StoredBlob? live, bool read)
        {
            var generation = live?.Generation ?? 0; // 0 stands for "no live object", as in ifGenerationMatch=0
            if (IfGenerationMatch is { } g && g != generation) return 412;
            if (IfMetagenerationMatch is { } mg && (live is null || mg != live.Metageneration)) return 412;
            if (IfGenerationNotMatch is { } ng && ng == generation) return read ? 304 : 412;
            if (IfMetagenerationNotMatch is { } nmg && live is not null && nmg == live.Metageneration) return read ? 304 : 412;
            return null;
        }

        private static long? Long(IQueryCollection q, string name) => long.TryParse(q[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
