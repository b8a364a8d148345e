using System.Diagnostics;

namespace Tarmac.Cli.Upload;

/// <summary>
/// How far one file's transfer is: bytes of the file sent so far (before any compression). A resumed upload moves it back
/// to what the server confirmed. Thread-safe; every change is passed to the display.
/// </summary>
public sealed class TransferMeter
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Action<TransferMeter> _changed;
    private readonly Action<string> _note;
    private long _position;
    private long _sentSinceStart;

    internal TransferMeter(string label, long total, Action<TransferMeter> changed, Action<string> note)
    {
        Label = label;
        Total = total;
        _changed = changed;
        _note = note;
    }

    /// <summary>What is being sent (the file name).</summary>
    public string Label { get; }

    /// <summary>Bytes of the whole file.</summary>
    public long Total { get; }

    /// <summary>Bytes of the file sent (and, after a resume, confirmed) so far.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>Time since the transfer started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Bytes per second over the whole transfer (bytes sent again after a resume count too: they took time).</summary>
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? Interlocked.Read(ref _sentSinceStart) / Elapsed.TotalSeconds : 0;

    /// <summary>Time left at the current rate, or null before the rate is known.</summary>
    public TimeSpan? Remaining => BytesPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(0, Total - Position) / BytesPerSecond) : null;

    /// <summary><paramref name="bytes"/> more of the file were sent.</summary>
    public void Advance(long bytes)
    {
        Interlocked.Add(ref _position, bytes);
        Interlocked.Add(ref _sentSinceStart, bytes);
        _changed(this);
    }

    /// <summary>The server has exactly <paramref name="position"/> bytes (after a dropped connection).</summary>
    public void MoveTo(long position)
    {
        Interlocked.Exchange(ref _position, position);
        _changed(this);
    }

    /// <summary>Tells the user something about this transfer (a lost connection, a resume).</summary>
    public void Note(string text) => _note(text);
}
