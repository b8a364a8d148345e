namespace Tarmac.ServiceDefaults;

/// <summary>Where a host runs, which decides how it listens and logs (not which backend it uses).</summary>
public enum TarmacHosting
{
    /// <summary>One machine: listens on 127.0.0.1 only, logs one readable line per event.</summary>
    Local,

    /// <summary>A Cloud Run service: listens on every interface, logs JSON lines for Cloud Logging, direct uploads capped at 30 MiB.</summary>
    CloudRun,
}
