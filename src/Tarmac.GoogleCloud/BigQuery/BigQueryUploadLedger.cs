using System.Text;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// The uploads ledger on BigQuery: the append-only table <c>upload_events</c> (an upload is its latest event).
/// BigQuery has no unique constraints, so dedupe of identical bytes is a create-only claim object
/// <c>claims/&lt;dataset&gt;/&lt;sha256&gt;</c> in the raw bucket naming the upload that owns those bytes:
/// the bucket's <c>ifGenerationMatch=0</c> makes exactly one registration win.
/// </summary>
public sealed class BigQueryUploadLedger(BigQueryClient bigQuery, IObjectStore bucket, TimeProvider time) : IUploadLedger
{
    /// <summary>Table name of the ledger.</summary>
    public const string Table = "upload_events";

    /// <summary>Prefix of the dedupe claims in the raw bucket.</summary>
    public const string ClaimsPrefix = "claims/";

    /// <inheritdoc />
    public async Task<RegisterResult> RegisterAsync(UploadRecord candidate, CancellationToken ct)
    {
        if (await GetAsync(candidate.UploadId, ct) is { } same) return new RegisterResult(RegisterOutcome.Created, same);

        var claim = $"{ClaimsPrefix}{candidate.Dataset}/{candidate.Sha256}";
        var metadata = new Dictionary<string, string> { ["upload_id"] = candidate.UploadId, ["object"] = candidate.Object };
        string owner;
        try
        {
            using var content = new MemoryStream(Encoding.UTF8.GetBytes(candidate.UploadId));
            await bucket.CreateAsync(claim, content, metadata, ct);
            owner = candidate.UploadId;
        }
        catch (ObjectAlreadyExistsException)
        {
            var existing = await bucket.GetAsync(claim, ct) ?? throw new TransientFailureException($"Claim {claim} exists but cannot be read.");
            owner = existing.Metadata.GetValueOrDefault("upload_id") ?? "";
            if (owner != candidate.UploadId)
            {
                var prior = await GetAsync(owner, ct);
                if (prior is null)
                {
                    // The owner claimed the bytes but is not in the ledger yet (in flight, or it crashed: then its
                    // object's notification registers it). Either way these bytes are already taken.
                    return new RegisterResult(RegisterOutcome.Duplicate, candidate with
                    {
                        UploadId = owner, Object = existing.Metadata.GetValueOrDefault("object") ?? candidate.Object,
                    });
                }
                if (prior.Status != UploadStatus.Failed) return new RegisterResult(RegisterOutcome.Duplicate, prior);

                // The same bytes failed earlier: reset that upload to stored on the new object, which certainly exists.
                var retry = prior with { Status = UploadStatus.Stored, Object = candidate.Object, Error = null, CompletedAt = null, ProcessingStartedAt = null };
                await AppendAsync([LedgerEvent.From(retry, time.GetUtcNow())], ct);
                return new RegisterResult(RegisterOutcome.Retry, retry);
            }
        }
        var stored = candidate with { Status = UploadStatus.Stored };
        await AppendAsync([LedgerEvent.From(stored, time.GetUtcNow())], ct);
        return new RegisterResult(RegisterOutcome.Created, stored);
    }

    /// <inheritdoc />
    public async Task<UploadRecord?> GetAsync(string uploadId, CancellationToken ct) =>
        (await GetLatestAsync([uploadId], ct)).GetValueOrDefault(uploadId)?.ToRecord();

    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> ListByStatusAsync(UploadStatus status, int limit, CancellationToken ct)
    {
        var sql = $"{LatestSql(null)} AND status = @status ORDER BY first_at, upload_id LIMIT @limit";
        var result = await bigQuery.QueryAsync(sql, [BigQueryParameter.String("status", status.ToWire()), BigQueryParameter.Int64("limit", limit)], limit, ct);
        return result.Rows.Select(r => LedgerEvent.FromRow(r).ToRecord()).ToList();
    }

    /// <inheritdoc />
    public async Task MarkFailedAsync(string uploadId, string reason, CancellationToken ct)
    {
        var latest = (await GetLatestAsync([uploadId], ct)).GetValueOrDefault(uploadId);
        if (latest is null || latest.Status != UploadStatus.Stored) return;
        await AppendAsync([latest with { Status = UploadStatus.Failed, Error = reason, JobId = null, At = time.GetUtcNow() }], ct);
    }

    /// <summary>The latest event of each of <paramref name="uploadIds"/> that the ledger knows.</summary>
    internal async Task<Dictionary<string, LedgerEvent>> GetLatestAsync(IReadOnlyList<string> uploadIds, CancellationToken ct)
    {
        var result = await bigQuery.QueryAsync($"{LatestSql("upload_id IN UNNEST(@upload_ids)")} ORDER BY upload_id",
            [BigQueryParameter.StringArray("upload_ids", uploadIds)], uploadIds.Count, ct);
        return result.Rows.Select(LedgerEvent.FromRow).ToDictionary(e => e.UploadId, StringComparer.Ordinal);
    }

    /// <summary>Appends events with insertIds (retries of the same call are deduplicated).</summary>
    internal Task AppendAsync(IReadOnlyList<LedgerEvent> events, CancellationToken ct) =>
        bigQuery.InsertAllAsync(Table, events.Select(e => (e.InsertId, e.ToRow())).ToList(), ct);

    /// <summary>Latest event per upload plus what is derived over all its events; ends in a WHERE the caller extends.</summary>
    private string LatestSql(string? filter) => $"""
        SELECT {LedgerEvent.Columns} FROM (
          SELECT *,
            MIN(at) OVER w AS first_at,
            MAX(IF(status = 'stored' AND job_id IS NOT NULL, at, NULL)) OVER w AS started_at,
            COUNTIF(status != 'stored') OVER w AS attempts,
            ROW_NUMBER() OVER (PARTITION BY upload_id ORDER BY at DESC) AS rn
          FROM {bigQuery.TableRef(Table)}{(filter is null ? "" : $" WHERE {filter}")}
          WINDOW w AS (PARTITION BY upload_id))
        WHERE rn = 1
        """;
}
