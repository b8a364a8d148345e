using System.Text.Json.Nodes;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>A message forwarded to the dead-letter topic after its delivery attempts.</summary>
public sealed record DeadLetter(string AckId, JsonObject Message, int Attempts)
{
    public string ObjectId => Message["attributes"]!["objectId"]!.GetValue<string>();
}
