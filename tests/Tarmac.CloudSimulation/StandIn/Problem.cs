using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>Google's JSON error body, and JSON answers.</summary>
public static class Problem
{
    public static Task Json(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=UTF-8";
        return ctx.Response.WriteAsync(body.ToJsonString());
    }

    /// <summary>The error format every Google REST API uses: <c>{"error":{"code","message","errors":[{reason}],"status"}}</c>.</summary>
    public static Task Write(HttpContext ctx, int status, string reason, string message) =>
        Json(ctx, status, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = status,
                ["message"] = message,
                ["errors"] = new JsonArray(new JsonObject { ["reason"] = reason, ["message"] = message, ["domain"] = "global" }),
                ["status"] = status switch { 409 => "ALREADY_EXISTS", 412 => "FAILED_PRECONDITION", 404 => "NOT_FOUND", 429 => "RESOURCE_EXHAUSTED", 503 => "UNAVAILABLE", _ => ((HttpStatusCode)status).ToString() },
            },
        });
}
