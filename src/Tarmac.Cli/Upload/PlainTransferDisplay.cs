using System.Globalization;

namespace Tarmac.Cli.Upload;

/// <summary>
/// Progress for a standard error that is not a terminal (a CI log, a file): one plain line when a transfer starts, one
/// each time it passes another tenth of the file, and one at the end. No cursor movement, no colour.
/// </summary>
public sealed class PlainTransferDisplay(TextWriter error) : ITransferDisplay
{
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public async Task<T> TrackAsync<T>(string label, long totalBytes, Func<TransferMeter, Task<T>> work)
    {
        var lastTenth = 0L;
        Write($"{label}: sending {ByteText.Size(totalBytes)}");
        var meter = new TransferMeter(label, totalBytes, m =>
        {
            var tenth = m.Total == 0 ? 10 : m.Position * 10 / m.Total;
            lock (_lock)
            {
                // A resume moves the meter back; lines start again from there.
                if (tenth < lastTenth) lastTenth = tenth;
                if (tenth <= lastTenth) return;
                lastTenth = tenth;
            }
            Write(Line(m));
        }, note => Write($"{label}: {note}"));
        var result = await work(meter);
        if (lastTenth < 10) Write(Line(meter));
        return result;
    }

    private static string Line(TransferMeter m)
    {
        var percent = m.Total == 0 ? 100 : m.Position * 100 / m.Total;
        var eta = m.Position >= m.Total ? $"done in {ByteText.Duration(m.Elapsed)}" : m.Remaining is { } left ? $"ETA {ByteText.Duration(left)}" : "ETA unknown";
        return string.Create(CultureInfo.InvariantCulture,
            $"{m.Label}: {percent,3}% {ByteText.Size(m.Position)} of {ByteText.Size(m.Total)}, {ByteText.Size(m.BytesPerSecond)}/s, {eta}");
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            error.WriteLine(line);
            error.Flush();
        }
    }
}
