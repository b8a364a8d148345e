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

    /// <summary>The uploads among <paramref name="ids"/> that exist, by id, read on <paramref name="c"/> (inside its transaction, if any).</summary>
    public static async Task<Dictionary<string, UploadRecord>> ReadManyAsync(DuckDBConnection c, IEnumerable<string> ids, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM {UploadsTable} WHERE upload_id IN (SELECT unnest($ids))";
        cmd.Parameters.Add(P("ids", ids.Distinct(StringComparer.Ordinal).ToList()));
        var found = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var u = Read(r);
            found[u.UploadId] = u;
        }
        return found;
    }

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
