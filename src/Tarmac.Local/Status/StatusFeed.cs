using System.Diagnostics.Metrics;
using Tarmac.ServiceDefaults;

namespace Tarmac.Local.Status;

/// <summary>
/// Feeds the <see cref="StatusWindow"/> from measurements the host already makes: ASP.NET Core's
/// <c>http.server.request.duration</c> (every answered request, with its method and status code) and Tarmac's own
/// upload and row counters. Only instruments of this host's meter factory are heard, so hosts sharing a process (tests)
/// do not count each other's traffic.
/// </summary>
internal sealed class StatusFeed(StatusWindow window, IMeterFactory meters) : IHostedService, IDisposable
{
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";
    private const string RequestDuration = "http.server.request.duration";
    private const string UploadsReceived = "tarmac.uploads.received";
    private const string RowsLoaded = "tarmac.rows.loaded";
    private const string RowsRejected = "tarmac.rows.rejected";

    private readonly MeterListener _listener = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter.Scope, meters)) return;
            var heard = (instrument.Meter.Name, instrument.Name) switch
            {
                (HostingMeter, RequestDuration) => true,
                (TarmacDefaults.MeterName, UploadsReceived or RowsLoaded or RowsRejected) => true,
                _ => false,
            };
            if (heard) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>(OnDuration);
        _listener.SetMeasurementEventCallback<long>(OnCount);
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    private void OnDuration(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var isPost = false;
        var status = 0;
        foreach (var (key, value) in tags)
        {
            if (key == "http.request.method") isPost = value is string m && HttpMethods.IsPost(m);
            else if (key == "http.response.status_code" && value is int code) status = code;
        }
        window.RecordRequest(isPost, status, seconds * 1000);
    }

    private void OnCount(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? dataset = null;
        foreach (var (key, v) in tags)
            if (key == "dataset") dataset = v as string;
        if (dataset is null) return;
        switch (instrument.Name)
        {
            case UploadsReceived: window.RecordUpload(dataset); break;
            case RowsLoaded: window.RecordRows(dataset, value, 0); break;
            case RowsRejected: window.RecordRows(dataset, 0, value); break;
        }
    }
}
