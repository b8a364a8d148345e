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

    /// <summary>How long the last NDJSON line may take to reach a reader before the connection is aborted instead.</summary>
    private static readonly TimeSpan LastLineLimit = TimeSpan.FromSeconds(5);

    /// <summary>Ends the started response <paramref name="http"/> so that its client can tell it is incomplete.</summary>
    public static async Task EndAsync(HttpContext http, TimeSpan limit)
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
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        bounded.CancelAfter(LastLineLimit);
        try
        {
            // Whole rows only were written before the cut (each row is written at once, then flushed), so this line starts a line.
            await http.Response.BodyWriter.WriteAsync(line, bounded.Token);
            await http.Response.BodyWriter.WriteAsync("\n"u8.ToArray(), bounded.Token);
            await http.Response.BodyWriter.FlushAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            // A reader that does not take even this line gets the abort.
            http.Abort();
        }
    }
}
