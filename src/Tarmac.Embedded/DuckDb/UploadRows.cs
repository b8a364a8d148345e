using System.Data.Common;
using System.Text.Json;
using DuckDB.NET.Data;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>How an <see cref="UploadRecord"/> is stored in the ledger table, and read back.</summary>
internal static class UploadRows
{
    /// <summary>The ledger's columns, in the order <see cref="Read"/> expects.</summary>
    public const string Columns =
        "upload_id, dataset, object, bytes, sha256, status, file_name, content_type, client, rows_loaded, rows_rejected, errors, error, received_at, processing_started_at, completed_at, attempts, traceparent";

    private static readonly JsonSerializerOptions ErrorJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// How long before its id says it was minted an upload may have been received. Ingest reads the clock just before it
    /// mints the id, microseconds apart, so a minute covers that and a clock step; a miss costs a second read, never a
    /// wrong answer. The margin is also what each bounded read scans beyond the batch: at 3,000 takeoffs a second a minute is
    /// about 1.5 of DuckDB's row groups (122,880 rows), ten minutes were 15.
    /// </summary>
    private static readonly TimeSpan MintSlack = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The uploads among <paramref name="ids"/> that exist, by id, read on <paramref name="c"/> (inside its transaction, if any).
    /// </summary>
    /// <remarks>
    /// The ledger only grows, and DuckDB has no index join here: a plain <c>IN</c> reads every row of the table, so each batch
    /// would cost more than the last. The first read is bounded by when the ids say they were minted, which DuckDB's zone
    /// maps on <c>received_at</c> turn into a read of the last row groups only; the ids it did not find (an upload received
    /// long after its id was minted, or one that does not exist) are read again without the bound, so the answer is the same.
    /// </remarks>
    public static async Task<Dictionary<string, UploadRecord>> ReadManyAsync(DuckDBConnection c, IEnumerable<string> ids, CancellationToken ct)
    {
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        var found = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
        if (wanted.Count == 0) return found;
        if (EarliestReceipt(wanted) is { } since)
        {
            await ReadIntoAsync(c, $"upload_id IN (SELECT unnest($ids)) AND received_at >= $since", wanted, since, found, ct);
            if (found.Count == wanted.Count) return found;
            wanted.RemoveAll(found.ContainsKey);
        }
        await ReadIntoAsync(c, "upload_id IN (SELECT unnest($ids))", wanted, null, found, ct);
        return found;
    }

    /// <summary>
    /// Updates the row of <paramref name="uploadId"/> where <paramref name="condition"/> holds (<paramref name="set"/> and the
    /// condition may use <paramref name="ps"/> and <c>$id</c>); returns the rows changed, 0 or 1. Bounded by the id's mint
    /// time first, as <see cref="ReadManyAsync"/> is, then, when that changed nothing, not bounded: the answer is the same.
    /// </summary>
    public static int UpdateOne(DuckDBConnection c, string uploadId, string set, string condition, params DuckDBParameter[] ps)
    {
        if (EarliestReceipt([uploadId]) is { } since && Update($"AND received_at >= $since", P("since", since)) is var n and > 0) return n;
        return Update("");

        int Update(string bound, params DuckDBParameter[] extra)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"UPDATE {UploadsTable} SET {set} WHERE upload_id = $id AND {condition} {bound}";
            cmd.Parameters.Add(P("id", uploadId));
            foreach (var p in ps) cmd.Parameters.Add(new DuckDBParameter(p.ParameterName, p.Value));
            cmd.Parameters.AddRange(extra);
            return cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The earliest a ledger row of any of <paramref name="ids"/> can have been received, if their ids say.</summary>
    private static DateTime? EarliestReceipt(List<string> ids)
    {
        DateTimeOffset? earliest = null;
        foreach (var id in ids)
        {
            if (UploadIds.MintedAt(id) is not { } minted) return null;
            if (earliest is null || minted < earliest) earliest = minted;
        }
        return earliest is { } e && e.UtcDateTime - DateTime.MinValue > MintSlack ? (e - MintSlack).UtcDateTime : null;
    }

    private static async Task ReadIntoAsync(DuckDBConnection c, string where, List<string> ids, DateTime? since, Dictionary<string, UploadRecord> found, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM {UploadsTable} WHERE {where}";
        cmd.Parameters.Add(P("ids", ids));
        if (since is not null) cmd.Parameters.Add(P("since", since.Value));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var u = Read(r);
            found[u.UploadId] = u;
        }
    }

    /// <summary>
    /// The record as its row reads back: times to the microsecond (DuckDB's <c>TIMESTAMP</c>), so an open upload answers
    /// from memory exactly as it will from the table.
    /// </summary>
    public static UploadRecord AsStored(UploadRecord u) => u with
    {
        ReceivedAt = Micro(u.ReceivedAt)!.Value, ProcessingStartedAt = Micro(u.ProcessingStartedAt), CompletedAt = Micro(u.CompletedAt),
    };

    private static DateTimeOffset? Micro(DateTimeOffset? t) =>
        t is { } v ? new DateTimeOffset(v.UtcTicks - v.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero) : null;

    /// <summary>Appends a new upload's row.</summary>
    public static void Append(DuckDBAppender appender, UploadRecord u) => appender.CreateRow()
        .AppendValue(u.UploadId).AppendValue(u.Dataset).AppendValue(u.Object).AppendValue((long?)u.Bytes)
        .AppendValue(u.Sha256).AppendValue(u.Status.ToWire()).AppendValue(u.FileName).AppendValue(u.ContentType)
        .AppendValue(u.Client).AppendValue((long?)u.RowsLoaded).AppendValue((long?)u.RowsRejected).AppendValue(SerializeErrors(u.Errors)).AppendValue(u.Error)
        .AppendValue((DateTime?)u.ReceivedAt.UtcDateTime).AppendValue((DateTime?)u.ProcessingStartedAt?.UtcDateTime).AppendValue((DateTime?)u.CompletedAt?.UtcDateTime)
        .AppendValue((int?)u.Attempts).AppendValue(u.TraceParent)
        .EndRow();

    /// <summary>The current row of a reader over <see cref="Columns"/>.</summary>
    public static UploadRecord Read(DbDataReader r) => new()
    {
        UploadId = r.GetString(0),
        Dataset = r.GetString(1),
        Object = r.GetString(2),
        Bytes = r.GetInt64(3),
        Sha256 = r.GetString(4),
        Status = UploadStatuses.FromWire(r.GetString(5)),
        FileName = r.IsDBNull(6) ? null : r.GetString(6),
        ContentType = r.IsDBNull(7) ? null : r.GetString(7),
        Client = r.IsDBNull(8) ? null : r.GetString(8),
        RowsLoaded = r.GetInt64(9),
        RowsRejected = r.GetInt64(10),
        Errors = DeserializeErrors(r.IsDBNull(11) ? null : r.GetString(11)),
        Error = r.IsDBNull(12) ? null : r.GetString(12),
        ReceivedAt = ReadTime(r, 13)!.Value,
        ProcessingStartedAt = ReadTime(r, 14),
        CompletedAt = ReadTime(r, 15),
        Attempts = r.GetInt32(16),
        TraceParent = r.IsDBNull(17) ? null : r.GetString(17),
    };

    /// <summary>Row errors as the ledger keeps them: a JSON array.</summary>
    public static string SerializeErrors(IReadOnlyList<RowError> errors) => JsonSerializer.Serialize(errors, ErrorJson);

    private static List<RowError> DeserializeErrors(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<RowError>>(json, ErrorJson) ?? [];
}
