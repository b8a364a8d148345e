using Spectre.Console;

namespace Tarmac.Cli.Upload;

/// <summary>Progress for a terminal: a live Spectre.Console bar on standard error with bytes, rate and time left.</summary>
public sealed class SpectreTransferDisplay(TextWriter error) : ITransferDisplay
{
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(error),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Detect,
    });

    /// <inheritdoc />
    public Task<T> TrackAsync<T>(string label, long totalBytes, Func<TransferMeter, Task<T>> work) =>
        _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: Math.Max(1, totalBytes));
                var meter = new TransferMeter(label, totalBytes, m => task.Value = m.Position,
                    note => task.Description = Markup.Escape($"{label} ({note})"));
                var result = await work(meter);
                task.Value = task.MaxValue;
                return result;
            });
}
