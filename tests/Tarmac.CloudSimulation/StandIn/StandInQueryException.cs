namespace Tarmac.CloudSimulation.StandIn;

/// <summary>A query BigQuery would refuse, with its HTTP status and reason.</summary>
public sealed class StandInQueryException(string message, int status, string reason) : Exception(message)
{
    public int Status { get; } = status;
    public string Reason { get; } = reason;
}
