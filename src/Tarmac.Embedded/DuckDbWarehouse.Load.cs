using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

public sealed partial class DuckDbWarehouse
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> LoadAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        // One load transaction at a time: DuckDB is single-writer per table and batches are already large.
        await _loadLock.WaitAsync(ct);
        try
        {
            await using var c = Open();
            await using var tx = await c.BeginTransactionAsync(ct);
            var startedAt = _time.GetUtcNow();
            var loadedAt = startedAt.UtcDateTime;
            var appenders = new Dictionary<string, DuckDBAppender>(StringComparer.Ordinal);
            var results = new UploadRecord[batch.Count];
            var updates = new List<(UploadRecord Record, ValidationResult Result)>();
            try
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    var req = batch[i];
                    var current = await QuerySingleAsync(c, $"SELECT {UploadColumns} FROM {UploadsTable} WHERE upload_id = $id", ct, P("id", req.Upload.UploadId));
                    if (current is null || current.Status != UploadStatus.Stored)
                    {
                        results[i] = current ?? req.Upload; // a redelivery of something already settled: no-op
                        continue;
                    }
                    // Large plain files go to DuckDB's CSV reader; the rest (and anything it declines) to the C# validator.
                    var result = req.Upload.Bytes >= BulkThresholdBytes ? await TryBulkLoadAsync(c, appenders, req, loadedAt, ct) : null;
                    if (result is null && req.Dataset.Options.AllOrNothing)
                    {
                        await using (var probe = await req.OpenAsync(ct))
                            result = await CsvValidator.ValidateAsync(probe, req.Dataset, NullSink.Instance, ct);
                        if (result.RowsRejected == 0 && result.FileError is null)
                        {
                            await using var again = await req.OpenAsync(ct);
                            result = await CsvValidator.ValidateAsync(again, req.Dataset, SinkFor(c, appenders, req, loadedAt), ct);
                        }
                        else
                        {
                            result.RowsAccepted = 0;
                        }
                    }
                    else if (result is null)
                    {
                        await using var stream = await req.OpenAsync(ct);
                        result = await CsvValidator.ValidateAsync(stream, req.Dataset, SinkFor(c, appenders, req, loadedAt), ct);
                    }
                    updates.Add((current, result));
                    results[i] = current;
                }
                foreach (var a in appenders.Values) a.Close();

                var completedAt = _time.GetUtcNow();
                for (var i = 0; i < results.Length; i++)
                {
                    var u = updates.FindIndex(x => ReferenceEquals(x.Record, results[i]));
                    if (u < 0) continue;
                    var (record, result) = updates[u];
                    var status = Outcome(result);
                    await ExecuteAsync(c, $"""
                        UPDATE {UploadsTable} SET status = $st, rows_loaded = $rl, rows_rejected = $rr, errors = $er, error = NULL,
                          processing_started_at = $ps, completed_at = $ca, attempts = attempts + 1
                        WHERE upload_id = $id
                        """, ct, P("st", status.ToWire()), P("rl", result.RowsAccepted), P("rr", result.RowsRejected),
                        P("er", SerializeErrors(result.Errors)), P("ps", Utc(startedAt)), P("ca", Utc(completedAt)), P("id", record.UploadId));
                    results[i] = record with
                    {
                        Status = status, RowsLoaded = result.RowsAccepted, RowsRejected = result.RowsRejected, Errors = result.Errors,
                        Error = null, ProcessingStartedAt = startedAt, CompletedAt = completedAt, Attempts = record.Attempts + 1,
                    };
                }
                foreach (var ds in updates.Where(u => u.Result.RowsAccepted > 0).Select(u => u.Record.Dataset).Distinct())
                {
                    await ExecuteAsync(c, $"""
                        INSERT INTO {VersionsTable} VALUES ($d, 1, $at)
                        ON CONFLICT (dataset) DO UPDATE SET version = version + 1, last_loaded_at = excluded.last_loaded_at
                        """, ct, P("d", ds), P("at", Utc(completedAt)));
                }
                await tx.CommitAsync(ct);
                CountLoadTransaction();
                return results;
            }
            finally
            {
                foreach (var a in appenders.Values) a.Dispose();
            }
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private static UploadStatus Outcome(ValidationResult r) =>
        r.FileError is not null || (r.RowsAccepted == 0 && r.RowsRejected > 0) ? UploadStatus.Rejected
        : r.RowsRejected > 0 ? UploadStatus.PartiallyLoaded
        : UploadStatus.Loaded;

    private static AppenderSink SinkFor(DuckDBConnection c, Dictionary<string, DuckDBAppender> appenders, LoadRequest req, DateTime loadedAt)
    {
        if (!appenders.TryGetValue(req.Dataset.Name, out var appender))
            appenders[req.Dataset.Name] = appender = c.CreateAppender(req.Dataset.Name);
        return new AppenderSink(appender, req.Dataset, req.Upload.UploadId, loadedAt);
    }

    private sealed class NullSink : IRowSink
    {
        public static readonly NullSink Instance = new();
        public void Append(ReadOnlySpan<FieldValue> row, long line) { }
    }

    /// <summary>Writes accepted rows straight into DuckDB's appender: no per-row SQL.</summary>
    private sealed class AppenderSink(DuckDBAppender appender, DatasetSchema dataset, string uploadId, DateTime loadedAt) : IRowSink
    {
        public void Append(ReadOnlySpan<FieldValue> row, long line)
        {
            var r = appender.CreateRow();
            var columns = dataset.Columns;
            for (var i = 0; i < columns.Count; i++)
            {
                ref readonly var v = ref row[i];
                if (v.IsNull) { r.AppendNullValue(); continue; }
                switch (columns[i].Type)
                {
                    case ColumnType.Integer: r.AppendValue((long?)v.Int64); break;
                    case ColumnType.Float: r.AppendValue((double?)v.Double); break;
                    case ColumnType.Numeric: r.AppendValue((decimal?)v.Decimal); break;
                    case ColumnType.Boolean: r.AppendValue((bool?)v.Boolean); break;
                    case ColumnType.String: r.AppendValue(v.String); break;
                    case ColumnType.Date: r.AppendValue((DateOnly?)DateOnly.FromDateTime(v.DateTime)); break;
                    case ColumnType.Timestamp: r.AppendValue((DateTime?)v.DateTime); break;
                }
            }
            r.AppendValue(uploadId).AppendValue((long?)line).AppendValue((DateTime?)loadedAt).EndRow();
        }
    }
}
