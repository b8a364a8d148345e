namespace Tarmac.Core.Ports;

/// <summary>
/// How far loading is behind ingest, where a backend can tell cheaply: the local one counts the uploads registered whose
/// load has not committed. Ingest refuses new uploads while it is over <c>TARMAC_MAX_PENDING_LOADS</c>, so that a flood of
/// uploads waits at the client instead of piling up unloaded (and in the local host's memory).
/// </summary>
public interface ILoadBacklog
{
    /// <summary>Uploads accepted whose load has not committed yet.</summary>
    long Pending { get; }
}
