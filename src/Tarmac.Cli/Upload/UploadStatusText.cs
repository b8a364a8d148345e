using System.Text.Json;
using Tarmac.Cli.Http;

namespace Tarmac.Cli.Upload;

/// <summary>An upload's status document (<c>GET /uploads/{id}</c>) for a person: one <c>key: value</c> line each, then the row errors.</summary>
public static class UploadStatusText
{
    private static readonly HashSet<string> FinalStatuses = new(StringComparer.Ordinal) { "loaded", "partially_loaded", "rejected", "failed" };

    /// <summary>The status (<c>stored</c>, <c>loaded</c>, …).</summary>
    public static string StatusOf(JsonElement doc) => doc.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "";

    /// <summary>Whether the upload has its outcome.</summary>
    public static bool IsFinal(JsonElement doc) => FinalStatuses.Contains(StatusOf(doc));

    /// <summary>0 when every row loaded (or the outcome is not awaited yet), <see cref="ExitCodes.RowsRejected"/> otherwise.</summary>
    public static int ExitCodeOf(JsonElement doc) => StatusOf(doc) is "loaded" or "stored" ? ExitCodes.Ok : ExitCodes.RowsRejected;

    /// <summary>Writes the document.</summary>
    public static void Write(TextWriter w, JsonElement doc)
    {
        w.WriteLine($"upload_id: {Text(doc, "upload_id")}");
        if (Text(doc, "file_name") is { Length: > 0 } file) w.WriteLine($"file: {file}");
        w.WriteLine($"dataset: {Text(doc, "dataset")}");
        w.WriteLine($"status: {StatusOf(doc)}");
        if (doc.TryGetProperty("duplicate", out var dup) && dup.ValueKind == JsonValueKind.True) w.WriteLine("duplicate: true (these bytes were uploaded before; nothing new is loaded)");
        w.WriteLine($"bytes: {Text(doc, "bytes")}");
        w.WriteLine($"rows_loaded: {Text(doc, "rows_loaded")}");
        w.WriteLine($"rows_rejected: {Text(doc, "rows_rejected")}");
        if (Text(doc, "error") is { Length: > 0 } error) w.WriteLine($"error: {error}");
        if (doc.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            w.WriteLine("errors:");
            ApiProblem.WriteErrors(w, errors);
            if (doc.TryGetProperty("rows_rejected", out var rejected) && rejected.TryGetInt64(out var n) && n > errors.GetArrayLength())
                w.WriteLine($"  … {n - errors.GetArrayLength()} more rejected rows not listed");
        }
    }

    private static string? Text(JsonElement doc, string name) =>
        !doc.TryGetProperty(name, out var v) ? null : v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => v.GetRawText(),
        };
}
