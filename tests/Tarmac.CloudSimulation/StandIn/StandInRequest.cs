using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>A request as the services read it.</summary>
public sealed record StandInRequest(HttpContext Context, string[] Segments, byte[] Body, JsonNode? Json)
{
    public IQueryCollection Query => Context.Request.Query;
    public string Method => Context.Request.Method;
}
