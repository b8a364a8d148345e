using System.CommandLine;
using Tarmac.Cli.Upload;

namespace Tarmac.Cli.Commands;

/// <summary><c>tarmac status ID [--watch]</c>.</summary>
public static class StatusCommand
{
    /// <summary>How long <c>--watch</c> waits for an id the server does not know yet (a signed-URL upload before process registers it).</summary>
    public static readonly TimeSpan UnknownGrace = TimeSpan.FromMinutes(1);

    /// <summary>The command.</summary>
    public static Command Create(GlobalOptions g)
    {
        var id = new Argument<string>("ID") { Description = "The upload id (32 hex digits)." };
        var watch = new Option<bool>("--watch", "-w") { Description = "Poll until the upload has its outcome, printing each status change on stderr." };
        var json = new Option<bool>("--json") { Description = "Print the status document as JSON." };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "How long --watch waits (hh:mm:ss).", DefaultValueFactory = _ => TimeSpan.FromMinutes(30) };
        var command = new Command("status", "Show an upload's status, row counts and row errors.") { id, watch, json, timeout };
        command.Handle(g, async (r, ct) =>
        {
            using var client = g.Client(r);
            var poller = new StatusPoller(client);
            var uploadId = r.GetRequiredValue(id);
            var doc = r.GetValue(watch)
                ? await poller.WaitAsync(uploadId, UnknownGrace, r.GetValue(timeout), d => g.Console.Error.WriteLine($"{uploadId}: {UploadStatusText.StatusOf(d)}"), ct)
                : await client.GetJsonAsync($"/uploads/{Uri.EscapeDataString(uploadId)}", ct);
            if (doc is not { } d)
            {
                await g.Console.Error.WriteLineAsync($"error: upload {uploadId} has no outcome after {r.GetValue(timeout)}.");
                return ExitCodes.Failed;
            }
            if (r.GetValue(json)) await g.Console.Out.WriteLineAsync(d.GetRawText());
            else UploadStatusText.Write(g.Console.Out, d);
            return UploadStatusText.ExitCodeOf(d);
        });
        return command;
    }
}
