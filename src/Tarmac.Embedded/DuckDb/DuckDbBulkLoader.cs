using System.Diagnostics.Metrics;
using DuckDB.NET.Data;
using Tarmac.Core.Ports;
using Tarmac.Core.Validation;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>
/// The embedded warehouse's fast path for large files: DuckDB's own CSV reader loads the rows SQL can vouch for, and the
/// C# validator decides the rest, so the outcome is the one row-by-row validation gives. SQL accepts a row only when every
/// value is in a canonical form that the C# parser reads to the same value (see <see cref="BulkLoadSql"/>); every other row
/// is re-validated by <see cref="CsvValidator.ValidateRecord"/>, which supplies the rejected rows' errors and appends the
/// rows it accepts.
/// </summary>
internal sealed class DuckDbBulkLoader(DuckDbDatabase db, Counter<long> loadsCounter)
{
    private long _loads;

    /// <summary>Uploads loaded by this path since start.</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <summary>The most parts a file is rewritten in at once (<see cref="PlainCsvRewriter"/>): one per core, at most 8.</summary>
    public int Parts { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>The least bytes per part: 32 MiB, so a part's start-up (a stream, buffers, a task) is a small share of it.</summary>
    public long PartBytes { get; set; } = 32L << 20;

    /// <summary>
    /// Loads one upload inside the caller's transaction, or returns null when the file must be validated row by row
    /// (not plain, or a header the C# path must explain).
    /// </summary>
    public async Task<ValidationResult?> TryLoadAsync(DuckDBConnection c, LoadRequest req, DateTime loadedAt, Func<IRowSink> rows, CancellationToken ct)
    {
        Directory.CreateDirectory(db.BulkFolder);
        var stem = Path.Combine(db.BulkFolder, $"{req.Upload.UploadId}-{Guid.NewGuid():N}");
        var plain = await PlainCsvRewriter.TryRewriteAsync(req.OpenAsync, stem, (byte)req.Dataset.Options.Separator,
            names => CsvHeader.TryCreate(req.Dataset, names, out _) is { FieldCount: >= 2 } h ? h : null, Parts, PartBytes, ct);
        if (plain is null) return null;
        try
        {
            var sql = new BulkLoadSql(req.Dataset, plain.Header);
            var result = new ValidationResult { RowsAccepted = await ExecuteAsync(c, sql.Insert(plain.Canonical), ct, P("id", req.Upload.UploadId), P("at", loadedAt)) };
            if (result.RowsAccepted < plain.Records)
                result.RowsAccepted += await ValidateSuspectsAsync(c, sql.Suspects([.. plain.Files]), plain.Header, req.Dataset.Columns.Count, result, rows(), ct);
            Interlocked.Increment(ref _loads);
            loadsCounter.Add(1);
            return result;
        }
        finally
        {
            foreach (var f in plain.Files) File.Delete(f);
        }
    }

    /// <summary>Validates, in file order, the rows SQL did not accept, and appends the accepted ones to <paramref name="sink"/>.</summary>
    private static async Task<long> ValidateSuspectsAsync(DuckDBConnection c, string suspects, CsvHeader header, int width, ValidationResult result, IRowSink sink, CancellationToken ct)
    {
        long appended = 0;
        var fields = new string?[header.FieldCount];
        var row = new FieldValue[width];
        await using var cmd = c.CreateCommand();
        cmd.CommandText = suspects;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var line = r.GetInt64(0);
            for (var f = 0; f < fields.Length; f++) fields[f] = r.IsDBNull(f + 1) ? null : r.GetString(f + 1);
            if (!CsvValidator.ValidateRecord(fields, header, row, line, result)) continue;
            sink.Append(row, line);
            appended++;
        }
        return appended;
    }
}
