using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Tarmac.Cli.Http;

/// <summary>
/// An error answer of the server: its RFC 9457 <c>application/problem+json</c> document when it sent one, else the status
/// and the start of whatever body came (a proxy's bare 413 page, say).
/// </summary>
public sealed class ApiProblem
{
    private static readonly HashSet<string> Shown = new(StringComparer.Ordinal) { "type", "title", "status", "detail", "instance", "errors" };

    private ApiProblem(int status, string? title, string? detail, JsonElement? document, string? text)
    {
        Status = status;
        Title = title;
        Detail = detail;
        Document = document;
        Text = text;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The problem's title (or the status's reason phrase).</summary>
    public string? Title { get; }

    /// <summary>The problem's detail: what to fix.</summary>
    public string? Detail { get; }

    /// <summary>The whole problem document, when the body was JSON.</summary>
    public JsonElement? Document { get; }

    /// <summary>The start of a body that was not JSON.</summary>
    public string? Text { get; }

    /// <summary>Reads the error answer <paramref name="response"/> (its body is consumed).</summary>
    public static async Task<ApiProblem> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(ct);
        if (body.Length > 0 && body.TrimStart().StartsWith('{'))
        {
            try
            {
                var doc = JsonDocument.Parse(body).RootElement.Clone();
                return new ApiProblem(status, Str(doc, "title") ?? response.ReasonPhrase, Str(doc, "detail"), doc, null);
            }
            catch (JsonException) { }
        }
        var text = body.Length > 300 ? body[..300] + "…" : body;
        return new ApiProblem(status, response.ReasonPhrase ?? ((HttpStatusCode)status).ToString(), null, null, text.Trim());
    }

    /// <summary>
    /// Writes the problem for a person: the status and title, the detail, the parameter at fault and what it allows,
    /// every row error with its line, and any other member the server added (a trace id, say).
    /// </summary>
    public void WriteTo(TextWriter w)
    {
        w.WriteLine($"error: HTTP {Status} {Title}".TrimEnd());
        if (Detail is { Length: > 0 }) w.WriteLine($"  {Detail}");
        if (Text is { Length: > 0 }) w.WriteLine($"  {Text}");
        if (Document is not { ValueKind: JsonValueKind.Object } doc) return;
        foreach (var p in doc.EnumerateObject())
        {
            if (Shown.Contains(p.Name)) continue;
            w.WriteLine($"  {p.Name}: {Flat(p.Value)}");
        }
        if (doc.TryGetProperty("errors", out var errors)) WriteErrors(w, errors);
    }

    /// <summary>Row errors (<c>[{line, column, value, reason}]</c>) or validation errors (<c>{field: [messages]}</c>).</summary>
    internal static void WriteErrors(TextWriter w, JsonElement errors)
    {
        if (errors.ValueKind == JsonValueKind.Array)
            foreach (var e in errors.EnumerateArray()) w.WriteLine($"  {RowError(e)}");
        else if (errors.ValueKind == JsonValueKind.Object)
            foreach (var p in errors.EnumerateObject()) w.WriteLine($"  {p.Name}: {Flat(p.Value)}");
    }

    /// <summary>One row error as <c>line 3, column dep_delay, value "x": reason</c>.</summary>
    internal static string RowError(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) return Flat(e);
        var parts = new List<string>();
        if (e.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number) parts.Add($"line {line.GetInt64().ToString(CultureInfo.InvariantCulture)}");
        if (Str(e, "column") is { } column) parts.Add($"column {column}");
        if (Str(e, "value") is { } value) parts.Add($"value \"{value}\"");
        var where = string.Join(", ", parts);
        var reason = Str(e, "reason") ?? Str(e, "message") ?? Flat(e);
        return where.Length == 0 ? reason : $"{where}: {reason}";
    }

    private static string Flat(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Array => string.Join(", ", v.EnumerateArray().Select(Flat)),
        _ => v.GetRawText(),
    };

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
