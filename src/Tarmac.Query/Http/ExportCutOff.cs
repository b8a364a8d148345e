using System.Text.Json;
using Tarmac.ServiceDefaults;

namespace Tarmac.Query.Http;

/// <summary>
/// How a response is ended when it outlives <c>TARMAC_EXPORT_TIME_LIMIT</c>. Its status line and rows are sent already, so
/// the end itself must say the rows are incomplete. NDJSON gets a last line <c>{"$error": {...}}</c> (<c>$</c> cannot start a
/// column name, so no row looks like it) and then ends normally; CSV and JSON are aborted without their terminating chunk
/// (HTTP/2: the stream is reset), which every HTTP client reports as a body that ended early. The JSON array is left open too.
/// </summary>
internal static class ExportCutOff
{
    /// <summary>The key of the NDJSON line that ends a cut-off export.</summary>
    public const string ErrorKey = "$error";

    /// <summary>
    /// How much longer than the export limit a flush may wait for its reader (the last NDJSON line queues behind what the
    /// socket buffers hold, which a slow reader takes a while to drain). A reader that takes nothing that long is aborted.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Ends the started response <paramref name="http"/> so that its client can tell it is incomplete; the last line's flush
    /// waits under <paramref name="flush"/>.
    /// </summary>
    public static async Task EndAsync(HttpContext http, TimeSpan limit, CancellationToken flush)
    {
        if (http.Response.ContentType?.StartsWith("application/x-ndjson", StringComparison.Ordinal) != true)
        {
            http.Abort();
            return;
        }
        var line = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            [ErrorKey] = new Dictionary<string, object>
            {
                ["status"] = StatusCodes.Status503ServiceUnavailable,
                ["title"] = "Export cut off",
                ["detail"] = $"The response ran longer than the export time limit of {limit} and was cut off after the rows above. " +
                    "Read faster, or ask for less (filters, fields, a smaller limit, or pages with cursor=).",
            },
        });
        try
        {
            // Whole rows only were written before the cut (a row is written at once, and the limit is checked between rows),
            // so this starts a line of its own.
            await http.Response.BodyWriter.WriteAsync(line, flush);
            await http.Response.BodyWriter.WriteAsync("\n"u8.ToArray(), flush);
            await http.Response.BodyWriter.FlushAsync(flush);
        }
        catch (OperationCanceledException)
        {
            // A reader that does not take even this line gets the abort.
            http.Abort();
        }
    }
}
