using System.Text.Json.Nodes;

namespace Tarmac.CloudSimulation.Harness;

/// <summary>One push as the endpoint received it.</summary>
public sealed record ReceivedPush(string Authorization, JsonObject Envelope)
{
    public string MessageId => Envelope["message"]!["messageId"]!.GetValue<string>();
    public int DeliveryAttempt => Envelope["deliveryAttempt"]!.GetValue<int>();
    public string ObjectId => Envelope["message"]!["attributes"]!["objectId"]!.GetValue<string>();
}
