using System.Net;
using System.Text.Json;
using Tarmac.Cli.Http;

namespace Tarmac.Cli.Upload;

/// <summary>Reads an upload's status, and polls it until the upload has its outcome.</summary>
public sealed class StatusPoller(TarmacClient client)
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(2);

    /// <summary>The status document, or null while the server does not know the id (404).</summary>
    public async Task<JsonElement?> GetAsync(string uploadId, CancellationToken ct)
    {
        try
        {
            return await client.GetJsonAsync($"/uploads/{Uri.EscapeDataString(uploadId)}", ct);
        }
        catch (ApiProblemException e) when (e.Problem.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Polls until the upload has its outcome and returns it; null when <paramref name="timeout"/> passed first.
    /// An upload sent through a signed URL is unknown (404) until process registers it: an unknown id is waited for
    /// during <paramref name="unknownGrace"/>, then reported as unknown. <paramref name="changed"/> hears each new status.
    /// </summary>
    public async Task<JsonElement?> WaitAsync(string uploadId, TimeSpan unknownGrace, TimeSpan timeout, Action<JsonElement>? changed, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var pause = FirstPause;
        string? last = null;
        try
        {
            while (true)
            {
                var doc = await GetAsync(uploadId, deadline.Token);
                if (doc is null && clock.Elapsed >= unknownGrace) throw new UploadFailedException($"There is no upload '{uploadId}'.");
                if (doc is { } d)
                {
                    if (UploadStatusText.StatusOf(d) != last) changed?.Invoke(d);
                    last = UploadStatusText.StatusOf(d);
                    if (UploadStatusText.IsFinal(d)) return d;
                }
                // Polling a status the server changes; the pause grows so a long load costs few requests.
                await Task.Delay(pause, deadline.Token);
                pause = TimeSpan.FromTicks(Math.Min(LongestPause.Ticks, pause.Ticks * 2));
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
