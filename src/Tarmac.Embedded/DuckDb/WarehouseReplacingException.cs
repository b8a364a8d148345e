using Tarmac.Core.Ports;

namespace Tarmac.Embedded;

/// <summary>
/// The database instance is to be replaced after a failed commit (<see cref="DuckDbDatabase.TryReset"/>) and cannot be yet:
/// a load stays stored and is tried again, and a new export is refused (503) so that the connections drain.
/// </summary>
public sealed class WarehouseReplacingException()
    : TransientFailureException("The warehouse is replacing its database instance after a failed commit; the work is tried again.");
