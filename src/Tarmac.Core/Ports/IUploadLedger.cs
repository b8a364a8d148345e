using Tarmac.Core.Uploads;

namespace Tarmac.Core.Ports;

/// <summary>
/// The record of every upload and its outcome. Registration is atomic on (dataset, sha256), which is
/// what makes a re-posted file a no-op instead of a second load.
/// </summary>
public interface IUploadLedger
{
    /// <summary>
    /// Registers <paramref name="candidate"/> unless the same bytes were already posted to the same dataset.
    /// Idempotent on the upload id: registering an id that exists returns it as <see cref="RegisterOutcome.Created"/>.
    /// </summary>
    Task<RegisterResult> RegisterAsync(UploadRecord candidate, CancellationToken ct);

    /// <summary>The upload, or null for an unknown id.</summary>
    Task<UploadRecord?> GetAsync(string uploadId, CancellationToken ct);

    /// <summary>
    /// The uploads among <paramref name="uploadIds"/> that exist, by id. The default asks one by one;
    /// ledgers that can answer set-wise override it (the loader asks for whole batches).
    /// </summary>
    async Task<IReadOnlyDictionary<string, UploadRecord>> GetManyAsync(IReadOnlyCollection<string> uploadIds, CancellationToken ct)
    {
        var found = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
        foreach (var id in uploadIds)
            if (await GetAsync(id, ct) is { } u) found[id] = u;
        return found;
    }

    /// <summary>Uploads in <paramref name="status"/>, oldest first (startup recovery).</summary>
    Task<IReadOnlyList<UploadRecord>> ListByStatusAsync(UploadStatus status, int limit, CancellationToken ct);

    /// <summary>
    /// The <paramref name="limit"/> most recently received uploads, newest first (the local status page). Ledgers that
    /// serve no status page need not answer: the default throws <see cref="NotSupportedException"/>.
    /// </summary>
    Task<IReadOnlyList<UploadRecord>> ListRecentAsync(int limit, CancellationToken ct) =>
        Task.FromException<IReadOnlyList<UploadRecord>>(new NotSupportedException($"{GetType().Name} does not list recent uploads."));

    /// <summary>Marks an upload failed by an internal error; re-posting the same bytes retries it.</summary>
    Task MarkFailedAsync(string uploadId, string reason, CancellationToken ct);
}

/// <summary>What <see cref="IUploadLedger.RegisterAsync"/> did.</summary>
public enum RegisterOutcome
{
    /// <summary>A new upload: process its object.</summary>
    Created,
    /// <summary>The same bytes were already accepted for this dataset: answer with that upload, process nothing.</summary>
    Duplicate,
    /// <summary>The same bytes had failed with an internal error: the earlier upload was reset to stored, process it again.</summary>
    Retry,
}

/// <summary>The outcome and the upload it refers to (the earlier one for a duplicate or retry).</summary>
public sealed record RegisterResult(RegisterOutcome Outcome, UploadRecord Upload);
