using System.Collections.Concurrent;
using System.Globalization;
using Google.Cloud.Storage.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Ports;

namespace Tarmac.Cli.Tests;

/// <summary>
/// A bucket that speaks Cloud Storage's XML-API resumable upload protocol at the V4 signed URLs the host's real
/// <c>ResumableUploadSigner</c> makes, and, like the bucket's notification on Google Cloud, hands each finished object to
/// the local host (its object store and event queue), whose process registers it from its metadata and loads it.
/// Behaviour played (https://cloud.google.com/storage/docs/performing-resumable-uploads,
/// https://cloud.google.com/storage/docs/xml-api/resumable-upload): POST with <c>x-goog-resumable: start</c> and the
/// signed headers → 201 with the session URI in <c>Location</c>; PUT with <c>Content-Range: bytes a-b/total</c> →
/// 308 with <c>Range: bytes=0-N</c> until the last byte, then 200; PUT with <c>bytes */total</c> → the same status
/// without data. A chunk that does not start where the session stands is refused (400), so a client that resumes
/// from its own idea of the offset instead of the session's fails. <see cref="DropOnce"/> cuts the connection in the
/// middle of the second chunk after keeping part of it, as a network failure does.
/// </summary>
public sealed class ResumableBucket : IAsyncDisposable
{
    public const string Name = "tarmac-raw";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Session> _sessions = new();
    private IServiceProvider? _host;
    private int _drops;

    public ResumableBucket()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Urls.First().TrimEnd('/');
    }

    public string BaseUrl { get; }

    /// <summary>Cut the connection once, in the middle of the second chunk, after keeping this many of its bytes.</summary>
    public int? DropOnce { get; set; }

    /// <summary>Answer the first chunk with 503 after reading it (keeping nothing), as an overloaded front end may.</summary>
    public bool Unavailable503Once { get; set; }

    /// <summary>Answer every PUT 404, as an expired session does.</summary>
    public bool SessionsExpired { get; set; }

    /// <summary>How many requests carried an Authorization header (a signed URL must get none: the signature is the credential).</summary>
    public int AuthorizationHeadersSeen => _authorizationHeaders;

    private int _authorizationHeaders;

    /// <summary>How many connections were cut.</summary>
    public int Drops => _drops;

    /// <summary>Every Content-Range a PUT carried, in order.</summary>
    public ConcurrentQueue<string> Ranges { get; } = new();

    /// <summary>The bytes of each finished object, by name.</summary>
    public ConcurrentDictionary<string, byte[]> Objects { get; } = new();

    /// <summary>The host whose store and event queue receive finished objects.</summary>
    public void Attach(IServiceProvider host) => _host = host;

    /// <summary>A signer as ingest has on Google Cloud, with URLs pointing here, for the host's <c>POST /uploads</c>.</summary>
    public Tarmac.GoogleCloud.Signing.ResumableUploadSigner Signer() => new(UrlSigner.FromBlobSigner(new TestBlobSigner()), Name,
        new Tarmac.GoogleCloud.GoogleCloudOptions { StorageEmulatorHost = BaseUrl }, TimeProvider.System);

    private async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        if (request.Headers.Authorization.Count > 0) Interlocked.Increment(ref _authorizationHeaders);
        if (request.Method == "POST" && request.Headers["x-goog-resumable"] == "start") { Start(ctx); return; }
        if (request.Method == "PUT" && request.Path.StartsWithSegments("/sessions", out var rest) && _sessions.TryGetValue(rest.Value!.Trim('/'), out var session))
        {
            await PutAsync(ctx, session);
            return;
        }
        ctx.Response.StatusCode = 404;
    }

    private void Start(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var path = ctx.Request.Path.Value!.TrimStart('/');
        // Every header named in the signature must be sent (GCS recomputes the signature over their values).
        var signed = q["X-Goog-SignedHeaders"].ToString().Split(';', StringSplitOptions.RemoveEmptyEntries);
        var missing = signed.Where(h => h != "host" && string.IsNullOrEmpty(ctx.Request.Headers[h])).ToList();
        if (!path.StartsWith(Name + "/", StringComparison.Ordinal) || q["X-Goog-Signature"].Count == 0 || missing.Count > 0 || ctx.Request.ContentType != "text/csv")
        {
            ctx.Response.StatusCode = 403;
            return;
        }
        var metadata = ctx.Request.Headers.Where(h => h.Key.StartsWith("x-goog-meta-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key["x-goog-meta-".Length..].ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var id = Guid.NewGuid().ToString("N");
        _sessions[id] = new Session(path[(Name.Length + 1)..], metadata);
        ctx.Response.Headers.Location = $"{BaseUrl}/sessions/{id}";
        ctx.Response.StatusCode = 201;
    }

    private async Task PutAsync(HttpContext ctx, Session session)
    {
        var range = ctx.Request.Headers.ContentRange.ToString();
        Ranges.Enqueue(range);
        if (SessionsExpired) { ctx.Response.StatusCode = 404; return; }
        if (Unavailable503Once && range.StartsWith("bytes 0-", StringComparison.Ordinal))
        {
            Unavailable503Once = false;
            await ctx.Request.Body.CopyToAsync(Stream.Null);
            ctx.Response.StatusCode = 503;
            return;
        }
        var slash = range.IndexOf('/', StringComparison.Ordinal);
        var total = long.Parse(range[(slash + 1)..], CultureInfo.InvariantCulture);
        if (!range.StartsWith("bytes */", StringComparison.Ordinal))
        {
            var first = long.Parse(range["bytes ".Length..range.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            if (first != session.Data.Length) { ctx.Response.StatusCode = 400; return; }
            if (first > 0 && DropOnce is { } keep && Interlocked.CompareExchange(ref _drops, 1, 0) == 0)
            {
                var part = new byte[keep];
                await ctx.Request.Body.ReadExactlyAsync(part);
                session.Data.Write(part);
                ctx.Abort();
                return;
            }
            await ctx.Request.Body.CopyToAsync(session.Data);
        }
        if (session.Data.Length < total)
        {
            ctx.Response.StatusCode = 308;
            if (session.Data.Length > 0) ctx.Response.Headers["Range"] = $"bytes=0-{session.Data.Length - 1}";
            return;
        }
        var bytes = session.Data.ToArray();
        if (Objects.TryAdd(session.Object, bytes))
        {
            var store = _host!.GetRequiredService<IObjectStore>();
            var stored = await store.CreateAsync(session.Object, new MemoryStream(bytes), session.Metadata, ctx.RequestAborted);
            await _host!.GetRequiredService<IObjectEventPublisher>().PublishAsync(new ObjectFinalized(store.Bucket, stored.Name, stored.Generation), ctx.RequestAborted);
        }
        ctx.Response.StatusCode = 200;
        await ctx.Response.WriteAsJsonAsync(new { bucket = Name, name = session.Object, size = bytes.Length.ToString(CultureInfo.InvariantCulture) });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record Session(string Object, Dictionary<string, string> Metadata)
    {
        public MemoryStream Data { get; } = new();
    }

    private sealed class TestBlobSigner : UrlSigner.IBlobSigner
    {
        public string Id => "ingest@tarmac-test.iam.gserviceaccount.com";
        public string Algorithm => "GOOG4-RSA-SHA256";
        public string CreateSignature(byte[] data, UrlSigner.BlobSignerParameters parameters) => Convert.ToBase64String("test-signature"u8.ToArray());
        public Task<string> CreateSignatureAsync(byte[] data, UrlSigner.BlobSignerParameters parameters, CancellationToken cancellationToken) =>
            Task.FromResult(CreateSignature(data, parameters));
    }
}
