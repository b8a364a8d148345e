using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// One row of the append-only <c>upload_events</c> table. An upload's current record is its latest event;
/// a <c>stored</c> event that carries a <see cref="JobId"/> is a load in flight: the job that will load its
/// rows and the counts it will report, so a redelivery can adopt that job instead of loading again.
/// </summary>
internal sealed record LedgerEvent
{
    public required string UploadId { get; init; }
    public required string Dataset { get; init; }
    public required UploadStatus Status { get; init; }
    public string? Object { get; init; }
    public long? Generation { get; init; }
    public long? Bytes { get; init; }
    public string? Sha256 { get; init; }
    public string? FileName { get; init; }
    public string? ContentType { get; init; }
    public string? Client { get; init; }
    public long? RowsLoaded { get; init; }
    public long? RowsRejected { get; init; }
    public IReadOnlyList<RowError> Errors { get; init; } = [];
    public string? Error { get; init; }
    public string? JobId { get; init; }
    public required DateTimeOffset At { get; init; }

    // Derived over all events of the upload by the reading query.
    public DateTimeOffset? FirstAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public int Attempts { get; init; }

    private static readonly JsonSerializerOptions ErrorJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Columns read back, in the order <see cref="FromRow"/> expects.</summary>
    public const string Columns = "upload_id, dataset, status, object, generation, bytes, sha256, file_name, content_type, client, rows_loaded, rows_rejected, errors, error, job_id, at, first_at, started_at, attempts";

    public static LedgerEvent From(UploadRecord r, DateTimeOffset at, long? generation = null, string? jobId = null) => new()
    {
        UploadId = r.UploadId, Dataset = r.Dataset, Status = r.Status, Object = r.Object, Generation = generation, Bytes = r.Bytes,
        Sha256 = r.Sha256, FileName = r.FileName, ContentType = r.ContentType, Client = r.Client,
        RowsLoaded = r.RowsLoaded, RowsRejected = r.RowsRejected, Errors = r.Errors, Error = r.Error, JobId = jobId, At = at,
    };

    public UploadRecord ToRecord() => new()
    {
        UploadId = UploadId, Dataset = Dataset, Object = Object ?? "", Bytes = Bytes ?? 0, Sha256 = Sha256 ?? "", Status = Status,
        FileName = FileName, ContentType = ContentType, Client = Client, RowsLoaded = RowsLoaded ?? 0, RowsRejected = RowsRejected ?? 0,
        Errors = Errors, Error = Error, ReceivedAt = FirstAt ?? At,
        ProcessingStartedAt = Status.IsFinal() ? StartedAt : null,
        CompletedAt = Status.IsFinal() ? At : null,
        Attempts = Attempts,
    };

    /// <summary>The insertAll row; <c>errors</c> is the JSON array of row errors.</summary>
    public JsonObject ToRow() => new()
    {
        ["upload_id"] = UploadId,
        ["dataset"] = Dataset,
        ["status"] = Status.ToWire(),
        ["object"] = Object,
        ["generation"] = Generation,
        ["bytes"] = Bytes,
        ["sha256"] = Sha256,
        ["file_name"] = FileName,
        ["content_type"] = ContentType,
        ["client"] = Client,
        ["rows_loaded"] = RowsLoaded,
        ["rows_rejected"] = RowsRejected,
        ["errors"] = Errors.Count == 0 ? null : JsonSerializer.Serialize(Errors, ErrorJson),
        ["error"] = Error,
        ["job_id"] = JobId,
        ["at"] = At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
    };

    /// <summary>A stable insertId: a retried insert of the same event is deduplicated by BigQuery.</summary>
    public string InsertId => $"{UploadId}:{Status.ToWire()}:{JobId}:{At.UtcTicks}";

    /// <summary>Reads a row of <see cref="Columns"/> (timestamps as int64 microseconds).</summary>
    public static LedgerEvent FromRow(JsonArray row)
    {
        string? S(int i) => QueryResult.Cell(row, i);
        long? L(int i) => S(i) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;
        DateTimeOffset? T(int i) => L(i) is { } us ? DateTimeOffset.UnixEpoch.AddTicks(us * 10) : null;
        return new LedgerEvent
        {
            UploadId = S(0)!, Dataset = S(1)!, Status = UploadStatuses.FromWire(S(2)!), Object = S(3), Generation = L(4), Bytes = L(5),
            Sha256 = S(6), FileName = S(7), ContentType = S(8), Client = S(9), RowsLoaded = L(10), RowsRejected = L(11),
            Errors = S(12) is { Length: > 0 } e ? JsonSerializer.Deserialize<RowError[]>(e, ErrorJson) ?? [] : [],
            Error = S(13), JobId = S(14), At = T(15)!.Value, FirstAt = T(16), StartedAt = T(17), Attempts = (int)(L(18) ?? 0),
        };
    }
}
