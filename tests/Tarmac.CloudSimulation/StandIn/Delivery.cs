namespace Tarmac.CloudSimulation.StandIn;

/// <summary>One push attempt (status 0: no answer within the ack deadline, or the connection failed).</summary>
public sealed record Delivery(string MessageId, int Attempt, Uri Endpoint, int Status);
