using System.Text;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;

namespace Tarmac.GoogleCloud.State;

/// <summary>
/// The uploads ledger on Cloud Storage: one state document per upload (<c>state/uploads/&lt;id&gt;.json</c>), changed only
/// by compare-and-set, so a status read right after a write sees it, from any instance, without a BigQuery query.
/// </summary>
/// <remarks>
/// Dedupe of identical bytes is a create-only claim <c>claims/&lt;dataset&gt;/&lt;sha256&gt;</c> naming the upload that owns
/// them: <c>ifGenerationMatch=0</c> makes exactly one registration win. <c>state/open/&lt;id&gt;</c> exists while an upload
/// has no final status, so the sweep lists only the unfinished ones. Every change is also appended to the audit table.
/// </remarks>
public sealed class GcsUploadLedger(GcsStateObjects state, IObjectStore bucket, UploadAudit audit, TimeProvider time) : IUploadLedger
{
    /// <summary>Prefix of the dedupe claims.</summary>
    public const string ClaimsPrefix = "claims/";

    /// <summary>Prefix of the state documents.</summary>
    public const string UploadsPrefix = "state/uploads/";

    /// <summary>Prefix of the markers of uploads without a final status.</summary>
    public const string OpenPrefix = "state/open/";

    private static readonly byte[] Marker = "{}"u8.ToArray();

    /// <summary>Name of an upload's state document.</summary>
    public static string StateName(string uploadId) => $"{UploadsPrefix}{uploadId}.json";

    /// <inheritdoc />
    public async Task<RegisterResult> RegisterAsync(UploadRecord candidate, CancellationToken ct)
    {
        if (await GetAsync(candidate.UploadId, ct) is { } same) return new RegisterResult(RegisterOutcome.Created, same);

        var claim = $"{ClaimsPrefix}{candidate.Dataset}/{candidate.Sha256}";
        var metadata = new Dictionary<string, string> { ["upload_id"] = candidate.UploadId, ["object"] = candidate.Object };
        try
        {
            using var content = new MemoryStream(Encoding.UTF8.GetBytes(candidate.UploadId));
            await bucket.CreateAsync(claim, content, metadata, ct);
        }
        catch (ObjectAlreadyExistsException)
        {
            var existing = await bucket.GetAsync(claim, ct) ?? throw new TransientFailureException($"Claim {claim} exists but cannot be read.");
            var owner = existing.Metadata.GetValueOrDefault("upload_id") ?? "";
            if (owner != candidate.UploadId) return await ClaimedByAsync(owner, existing, candidate, ct);
            // Our own claim from an attempt that broke off before the state was written: carry on.
        }

        var stored = candidate with { Status = UploadStatus.Stored };
        await state.CreateAsync(OpenPrefix + stored.UploadId, Marker, ct);
        if (await state.CreateAsync(StateName(stored.UploadId), new UploadState(stored, null).ToJson(), ct) is null)
            return new RegisterResult(RegisterOutcome.Created, (await GetAsync(stored.UploadId, ct))!);
        await audit.RecordAsync(stored, time.GetUtcNow(), null, ct);
        return new RegisterResult(RegisterOutcome.Created, stored);
    }

    private async Task<RegisterResult> ClaimedByAsync(string owner, StoredObject claim, UploadRecord candidate, CancellationToken ct)
    {
        var prior = await GetAsync(owner, ct);
        // The owner claimed the bytes but has no state yet (in flight, or it crashed: then its object's notification
        // registers it). Either way these bytes are already taken.
        if (prior is null)
            return new RegisterResult(RegisterOutcome.Duplicate, candidate with { UploadId = owner, Object = claim.Metadata.GetValueOrDefault("object") ?? candidate.Object });
        if (prior.Status != UploadStatus.Failed) return new RegisterResult(RegisterOutcome.Duplicate, prior);

        // The same bytes failed earlier: reset that upload to stored on the new object, which certainly exists.
        var retry = await UpdateAsync(owner, s => s.Upload.Status == UploadStatus.Failed
            ? new UploadState(s.Upload with
            {
                Status = UploadStatus.Stored, Object = candidate.Object, Error = null, CompletedAt = null, ProcessingStartedAt = null,
                TraceParent = candidate.TraceParent ?? s.Upload.TraceParent, // the retry is traced under the request that resent the bytes
            }, null)
            : null, ct);
        if (retry is null || retry.Upload.Status != UploadStatus.Stored) return new RegisterResult(RegisterOutcome.Duplicate, retry?.Upload ?? prior);
        await state.CreateAsync(OpenPrefix + owner, Marker, ct);
        return new RegisterResult(RegisterOutcome.Retry, retry.Upload);
    }

    /// <inheritdoc />
    public async Task<UploadRecord?> GetAsync(string uploadId, CancellationToken ct) => (await GetStateAsync(uploadId, ct))?.Upload;

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, UploadRecord>> GetManyAsync(IReadOnlyCollection<string> uploadIds, CancellationToken ct)
    {
        var states = await GetStatesAsync(uploadIds, ct);
        return states.ToDictionary(kv => kv.Key, kv => kv.Value.Upload, StringComparer.Ordinal);
    }

    /// <summary>The state documents of those of <paramref name="uploadIds"/> that exist, read in parallel.</summary>
    public async Task<Dictionary<string, UploadState>> GetStatesAsync(IEnumerable<string> uploadIds, CancellationToken ct)
    {
        var found = new Dictionary<string, UploadState>(StringComparer.Ordinal);
        var reads = uploadIds.Distinct(StringComparer.Ordinal).Select(async id => (id, s: await GetStateAsync(id, ct)));
        foreach (var (id, s) in await Task.WhenAll(reads))
            if (s is not null) found[id] = s;
        return found;
    }

    /// <summary>An upload's state document, or null.</summary>
    public async Task<UploadState?> GetStateAsync(string uploadId, CancellationToken ct) =>
        await state.ReadAsync(StateName(uploadId), ct) is { } doc ? UploadState.FromJson(doc.Data) : null;

    /// <inheritdoc />
    /// <remarks>
    /// Only uploads without a final status are indexed (<c>state/open/</c>); for a final status the list is empty. The
    /// markers are ordered by their creation time (the upload's registration) before any state is read, so a sweep over
    /// many open uploads reads only the <paramref name="limit"/> oldest.
    /// </remarks>
    public async Task<IReadOnlyList<UploadRecord>> ListByStatusAsync(UploadStatus status, int limit, CancellationToken ct)
    {
        if (status.IsFinal()) return [];
        var markers = new List<(string Id, DateTimeOffset Created)>();
        await foreach (var (name, created) in state.ListAsync(OpenPrefix, ct)) markers.Add((name[OpenPrefix.Length..], created));
        var oldest = markers.OrderBy(m => m.Created).ThenBy(m => m.Id, StringComparer.Ordinal).Take(limit).Select(m => m.Id).ToList();
        var states = await GetStatesAsync(oldest, ct);
        return oldest.Where(states.ContainsKey).Select(id => states[id].Upload).Where(u => u.Status == status).ToList();
    }

    /// <inheritdoc />
    public async Task MarkFailedAsync(string uploadId, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var failed = await UpdateAsync(uploadId, s => s.Upload.Status == UploadStatus.Stored
            ? new UploadState(s.Upload with { Status = UploadStatus.Failed, Error = reason, CompletedAt = now, Attempts = s.Upload.Attempts + 1 }, null) : null, ct);
        if (failed?.Upload.Status == UploadStatus.Failed) await SettledAsync(failed.Upload, ct);
    }

    /// <summary>
    /// Changes an upload's state by compare-and-set, reading again after a concurrent change. <paramref name="change"/>
    /// returns null to leave the state as it is. Returns the state as it now is, or null for an unknown upload. A change of
    /// status is appended to the audit table, with the load job that made it (<paramref name="jobId"/>).
    /// </summary>
    public async Task<UploadState?> UpdateAsync(string uploadId, Func<UploadState, UploadState?> change, CancellationToken ct, string? jobId = null)
    {
        var name = StateName(uploadId);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (await state.ReadAsync(name, ct) is not { } doc) return null;
            var current = UploadState.FromJson(doc.Data);
            if (change(current) is not { } next) return current;
            if (await state.ReplaceAsync(name, next.ToJson(), doc.Generation, ct) is not null)
            {
                if (next.Upload.Status != current.Upload.Status) await audit.RecordAsync(next.Upload, time.GetUtcNow(), jobId, ct);
                return next;
            }
        }
        throw new TransientFailureException($"The state of upload {uploadId} kept changing under 20 attempts to update it.");
    }

    /// <summary>Drops the open marker of an upload that reached its final status.</summary>
    public Task SettledAsync(UploadRecord upload, CancellationToken ct) => state.DeleteAsync(OpenPrefix + upload.UploadId, null, ct);
}
