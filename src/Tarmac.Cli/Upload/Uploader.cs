using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.Cli.Http;

namespace Tarmac.Cli.Upload;

/// <summary>
/// Sends one file: as a direct POST (a one-file form, so the server keeps the file name; gzip on the fly when it helps)
/// up to the direct limit, else through <c>POST /uploads</c> — Cloud Storage's resumable protocol when the server hands
/// out a signed URL, or the direct route it names otherwise (the local host has no cap worth a detour). A direct POST
/// the server refuses as too large (413) takes the <c>POST /uploads</c> road too; <c>Expect: 100-continue</c> lets the
/// server refuse before the body is sent.
/// </summary>
public sealed class Uploader(TarmacClient client, ITransferDisplay display, TextWriter notes, TimeSpan retryBase)
{
    /// <summary>Uploads <paramref name="path"/>; returns the upload id and, for a direct POST, the server's answer.</summary>
    public async Task<(string UploadId, JsonElement? Answer)> UploadAsync(string path, UploadSettings settings, CancellationToken ct)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new UploadFailedException($"There is no file '{path}'.");
        var dataset = Uri.EscapeDataString(settings.Dataset);
        if (file.Length > settings.DirectLimitBytes) return await ViaTicketAsync(file, settings, ct);
        try
        {
            var answer = await DirectAsync(file, $"/datasets/{dataset}/upload", HttpMethod.Post, UseGzip(file, settings), ct);
            return (UploadIdOf(answer), answer);
        }
        catch (ApiProblemException e) when (e.Problem.Status == (int)HttpStatusCode.RequestEntityTooLarge)
        {
            await notes.WriteLineAsync($"{file.Name}: the server refuses it as a direct upload ({e.Problem.Detail ?? e.Problem.Title}); asking POST /uploads for a resumable URL");
            return await ViaTicketAsync(file, settings, ct);
        }
    }

    private bool UseGzip(FileInfo file, UploadSettings settings) => settings.Gzip switch
    {
        GzipMode.Always => true,
        GzipMode.Never => false,
        _ => file.Length >= UploadSettings.AutoGzipMinBytes && !client.BaseUrl.IsLoopback,
    };

    private async Task<JsonElement> DirectAsync(FileInfo file, string url, HttpMethod method, bool gzip, CancellationToken ct) =>
        await display.TrackAsync(file.Name, file.Length, async meter =>
        {
            using var request = client.Request(method, url);
            request.Headers.ExpectContinue = true;
            request.Content = FileSliceContent.Form(file.FullName, file.Length, file.Name, gzip, meter);
            using var response = await client.SendAsync(request, ct, HttpCompletionOption.ResponseContentRead);
            return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        });

    private async Task<(string UploadId, JsonElement? Answer)> ViaTicketAsync(FileInfo file, UploadSettings settings, CancellationToken ct)
    {
        using var request = client.Request(HttpMethod.Post, "/uploads");
        request.Content = JsonContent.Create(new Dictionary<string, object> { ["dataset"] = settings.Dataset, ["file_name"] = file.Name, ["bytes"] = file.Length });
        using var response = await client.SendAsync(request, ct, HttpCompletionOption.ResponseContentRead);
        var ticket = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var url = ticket.GetProperty("upload_url").GetString()!;
        var method = ticket.TryGetProperty("method", out var m) && m.GetString() is { Length: > 0 } verb ? verb : "POST";
        var headers = ticket.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object
            ? h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        if (!headers.TryGetValue("x-goog-resumable", out var resumable) || resumable != "start")
        {
            // No signed URL (the local host): the route it names takes files of any size. Only its path is taken, on the
            // address this client already uses (the host may name itself differently, e.g. 127.0.0.1 for localhost).
            var route = Uri.TryCreate(url, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : url;
            var answer = await DirectAsync(file, route, new HttpMethod(method), UseGzip(file, settings), ct);
            return (UploadIdOf(answer), answer);
        }
        var uploadId = ticket.TryGetProperty("upload_id", out var id) && id.GetString() is { Length: > 0 } value
            ? value : throw new UploadFailedException("POST /uploads answered a signed URL without an upload_id.");
        var session = new ResumableSession(client.Http, retryBase);
        await display.TrackAsync(file.Name, file.Length, async meter =>
        {
            await session.UploadAsync(url, method, headers, file.FullName, file.Length, settings.ChunkBytes, meter, ct);
            return true;
        });
        return (uploadId, null);
    }

    private static string UploadIdOf(JsonElement answer) =>
        answer.TryGetProperty("upload_id", out var id) && id.GetString() is { Length: > 0 } value
            ? value : throw new UploadFailedException("The server's answer has no upload_id.");
}
