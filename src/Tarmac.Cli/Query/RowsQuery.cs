using System.Text;
using System.Text.Json;
using Tarmac.Cli.Http;

namespace Tarmac.Cli.Query;

/// <summary>
/// Reads rows page by page, following <c>Link: rel="next"</c> when asked to, and writes each page as it arrives:
/// CSV and NDJSON are the server's own bytes, streamed through; a table is drawn from NDJSON per page.
/// </summary>
public sealed class RowsQuery(TarmacClient client, CliConsole console)
{
    /// <summary>Runs the query at <paramref name="firstPage"/>; returns the number of rows written.</summary>
    public async Task<long> RunAsync(string firstPage, RowsFormat format, bool all, CancellationToken ct)
    {
        long rows = 0;
        string? url = firstPage;
        var page = 0;
        while (url is not null)
        {
            using var request = client.Request(HttpMethod.Get, url);
            using var response = await client.SendAsync(request, ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            rows += format switch
            {
                RowsFormat.Table => await WriteTableAsync(body, ct),
                _ => await CopyAsync(body, skipHeader: format == RowsFormat.Csv && page > 0, ct),
            };
            page++;
            url = all ? LinkHeader.Next(response) : null;
        }
        return rows;
    }

    private async Task<long> CopyAsync(Stream body, bool skipHeader, CancellationToken ct)
    {
        await console.Out.FlushAsync(ct);
        var buffer = new byte[1 << 16];
        long lines = 0;
        var inHeader = skipHeader;
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            var span = buffer.AsMemory(0, read);
            if (inHeader)
            {
                var end = span.Span.IndexOf((byte)'\n');
                if (end < 0) continue;
                span = span[(end + 1)..];
                inHeader = false;
            }
            lines += span.Span.Count((byte)'\n');
            await console.Output.WriteAsync(span, ct);
        }
        await console.Output.FlushAsync(ct);
        return lines;
    }

    private async Task<long> WriteTableAsync(Stream body, CancellationToken ct)
    {
        var rows = new List<JsonElement>();
        using var reader = new StreamReader(body, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            rows.Add(doc.RootElement.Clone());
        }
        if (rows.Count > 0) new TableOutput(console).Write(rows);
        return rows.Count;
    }
}
