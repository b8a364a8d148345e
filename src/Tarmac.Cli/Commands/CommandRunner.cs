using System.CommandLine;
using Tarmac.Cli.Http;
using Tarmac.Cli.Upload;

namespace Tarmac.Cli.Commands;

/// <summary>Runs a command's body and turns what can go wrong into a message on standard error and an exit code.</summary>
public static class CommandRunner
{
    /// <summary>Sets <paramref name="command"/>'s action to <paramref name="body"/>, wrapped in the error handling.</summary>
    public static void Handle(this Command command, GlobalOptions g, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (r, ct) =>
        {
            var console = g.Console;
            try
            {
                return await body(r, ct);
            }
            catch (ApiProblemException e)
            {
                e.Problem.WriteTo(console.Error);
                return ExitCodes.Failed;
            }
            catch (UploadFailedException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (ArgumentException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (HttpRequestException e)
            {
                await console.Error.WriteLineAsync($"error: cannot reach {r.GetValue(g.Url)}: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
                await console.Error.WriteLineAsync($"error: the server's answer is not what tarmac expects (is --url a Tarmac deployment?): {e.Message}");
                return ExitCodes.Failed;
            }
            catch (IOException e) when (!ct.IsCancellationRequested)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
            finally
            {
                await console.Out.FlushAsync(CancellationToken.None);
            }
        });
}
