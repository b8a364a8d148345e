using System.CommandLine;
using System.Text.Json;
using Tarmac.Cli.Upload;

namespace Tarmac.Cli.Commands;

/// <summary><c>tarmac upload FILE… [--dataset] [--wait]</c>.</summary>
public static class UploadCommand
{
    /// <summary>The command.</summary>
    public static Command Create(GlobalOptions g)
    {
        var files = new Argument<string[]>("FILE") { Description = "CSV files to upload, one upload each.", Arity = ArgumentArity.OneOrMore };
        var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset the files are for.", DefaultValueFactory = _ => "flights" };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait for each upload's outcome (exit code 3 if rows were rejected)." };
        var json = new Option<bool>("--json") { Description = "Print each upload's status document as one JSON line instead of text." };
        var gzip = new Option<GzipMode>("--gzip") { Description = "Compress direct uploads: auto (files of 1 MiB or more to a host that is not this machine), always, never.", DefaultValueFactory = _ => GzipMode.Auto };
        var directLimit = new Option<long>("--direct-limit")
        {
            Description = "Files larger than this many bytes use POST /uploads (a resumable upload on Google Cloud). Default: 30 MiB, the direct cap there.",
            DefaultValueFactory = _ => UploadSettings.DefaultDirectLimitBytes,
        };
        var chunk = new Option<long>("--chunk-size") { Description = "Bytes per chunk of a resumable upload (a multiple of 262144).", DefaultValueFactory = _ => UploadSettings.DefaultChunkBytes };
        chunk.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<long>();
            if (v < ResumableSession.ChunkGranularity || v % ResumableSession.ChunkGranularity != 0) r.AddError($"--chunk-size must be a positive multiple of 262144 (256 KiB), not {v}.");
        });
        var timeout = new Option<TimeSpan>("--timeout") { Description = "How long --wait waits for an outcome (hh:mm:ss).", DefaultValueFactory = _ => TimeSpan.FromMinutes(30) };

        var command = new Command("upload", "Upload CSV files, with progress on stderr; print each upload's id and status.") { files, dataset, wait, json, gzip, directLimit, chunk, timeout };
        command.Handle(g, async (r, ct) =>
        {
            using var client = g.Client(r);
            var settings = new UploadSettings(r.GetRequiredValue(dataset), r.GetValue(directLimit), r.GetValue(chunk), r.GetValue(gzip));
            var uploader = new Uploader(client, g.Display(), g.Console.Error, g.RetryBase);
            var poller = new StatusPoller(client);
            var exit = ExitCodes.Ok;
            var first = true;
            foreach (var path in r.GetRequiredValue(files))
            {
                var (uploadId, answer) = await uploader.UploadAsync(path, settings, ct);
                JsonElement? doc = answer;
                if (r.GetValue(wait))
                {
                    doc = await poller.WaitAsync(uploadId, unknownGrace: answer is null ? r.GetValue(timeout) : TimeSpan.Zero, r.GetValue(timeout),
                        d => g.Console.Error.WriteLine($"{Path.GetFileName(path)}: {UploadStatusText.StatusOf(d)}"), ct);
                    if (doc is null)
                    {
                        await g.Console.Error.WriteLineAsync($"error: upload {uploadId} has no outcome after {r.GetValue(timeout)}; check it with: tarmac status {uploadId} --watch");
                        return ExitCodes.Failed;
                    }
                }
                else
                {
                    doc ??= await poller.GetAsync(uploadId, ct);
                }
                if (!first && !r.GetValue(json)) await g.Console.Out.WriteLineAsync();
                first = false;
                Print(g.Console.Out, uploadId, doc, r.GetValue(json));
                if (doc is { } d2) exit = Math.Max(exit, UploadStatusText.ExitCodeOf(d2));
            }
            return exit;
        });
        return command;
    }

    private static void Print(TextWriter w, string uploadId, JsonElement? doc, bool json)
    {
        if (doc is not { } d)
        {
            // Sent through a signed URL: the bucket has it, and process registers it when its notification arrives.
            w.WriteLine(json ? JsonSerializer.Serialize(new Dictionary<string, string> { ["upload_id"] = uploadId, ["status"] = "uploaded" }) : $"upload_id: {uploadId}\nstatus: uploaded (in the bucket; not registered yet)");
            return;
        }
        if (json) w.WriteLine(d.GetRawText());
        else UploadStatusText.Write(w, d);
    }
}
