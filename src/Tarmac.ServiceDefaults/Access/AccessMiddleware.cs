using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Who is calling (a Tarmac token in <c>Authorization: Bearer</c>, or on Google Cloud the claims API Gateway forwards),
/// whether the route's scope and dataset are granted, and whether the consumer is within its rate. Logs one line per
/// request with the caller's <c>sub</c>, never the token.
/// </summary>
internal sealed partial class AccessMiddleware(RequestDelegate next, AccessSettings settings, ConsumerRateLimits limits, TimeProvider time, ILogger<AccessMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var sub = "-";
        try
        {
            var endpoint = http.GetEndpoint();
            if (!settings.Enabled)
            {
                sub = Caller.Unrestricted.Subject;
                await next(http);
                return;
            }
            if (endpoint?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                await next(http);
                return;
            }
            var (caller, refusal) = await IdentifyAsync(http);
            if (caller is null)
            {
                await AccessProblems.UnauthorizedAsync(http, refusal!);
                return;
            }
            sub = caller.Subject;
            http.SetCaller(caller);
            var requirement = endpoint?.Metadata.GetMetadata<AccessRequirement>();
            if ((Deny(http, caller, requirement) ?? await DenyStatusAsync(http, caller, requirement)) is { } denial)
            {
                await AccessProblems.ForbiddenAsync(http, denial.Title, denial.Detail, denial.Missing);
                return;
            }
            var rate = limits.Take(caller, requirement?.IsUpload ?? false);
            http.Response.Headers["RateLimit-Policy"] = rate.PolicyHeader;
            http.Response.Headers["RateLimit"] = rate.LimitHeader;
            if (!rate.Allowed)
            {
                await AccessProblems.TooManyAsync(http, rate);
                return;
            }
            await next(http);
        }
        finally
        {
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            RequestLine(logger, http.Request.Method, http.Request.Path.Value, http.Response.StatusCode, sub, elapsedMs);
        }
    }

    private async Task<(Caller?, string?)> IdentifyAsync(HttpContext http)
    {
        if (settings.Source == CallerSource.Gateway)
        {
            var forwarded = GatewayClaims.Read(http.Request, settings.Options, time.GetUtcNow(), out var why);
            return (forwarded, why);
        }
        var result = await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result.None) return (null, "no token was presented (send Authorization: Bearer <token>)");
        if (!result.Succeeded) return (null, Describe(result.Failure));
        try
        {
            // The token just validated is the one in the header; its payload carries the grant.
            var token = new JsonWebToken(http.Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim());
            using var payload = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
            return (Caller.FromClaims(payload.RootElement), null);
        }
        catch (FormatException e)
        {
            return (null, e.Message);
        }
    }

    private static string Describe(Exception? failure) => failure switch
    {
        Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException => "the token has expired",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidIssuerException => "the token's issuer is not accepted",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException => "the token is not for this API's audience",
        Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException => "the token's key id is unknown",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAlgorithmException => "the token's algorithm is not RS256",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidSignatureException => "the token's signature does not verify",
        _ => "the token is not valid",
    };

    private static Denial? Deny(HttpContext http, Caller caller, AccessRequirement? requirement)
    {
        if (requirement is null) return null;
        if (!caller.Has(requirement.Scope))
            return new($"Missing scope '{requirement.Scope}'", $"This route needs a token with scope '{requirement.Scope}'; this token has: {string.Join(' ', caller.Scopes.Order())}.", requirement.Scope);
        var dataset = http.Request.RouteValues[AccessRequirement.DatasetRouteValue] as string ?? requirement.UnnamedDataset;
        if (dataset is not null && !caller.MayUse(dataset))
            return DatasetDenial(caller, dataset);
        return null;
    }

    // A producer reads the status of its own uploads only; admin reads every upload's.
    private static async Task<Denial?> DenyStatusAsync(HttpContext http, Caller caller, AccessRequirement? requirement)
    {
        if (requirement?.Scope != Scopes.Status || caller.Scopes.Contains(Scopes.Admin)) return null;
        if (http.Request.RouteValues[AccessRequirement.UploadRouteValue] is not string uploadId) return null;
        var owners = http.RequestServices.GetRequiredService<UploadOwners>();
        return await owners.IsOwnerAsync(uploadId, caller.Subject, http.RequestAborted)
            ? null
            : new("Not your upload", $"Upload '{uploadId}' was not sent with a token of '{caller.Subject}'; only its sender (or an admin) may read its status.", uploadId);
    }

    /// <summary>The 403 for a dataset the caller's token does not grant.</summary>
    internal static Denial DatasetDenial(Caller caller, string dataset) =>
        new($"Missing dataset '{dataset}'", $"This token does not grant dataset '{dataset}'; it grants: {string.Join(", ", caller.Datasets!.Order())}.", dataset);

    // The path, never the query string or headers: nothing a token could hide in is logged.
    [LoggerMessage(Level = LogLevel.Information, Message = "{method} {path} {status} sub={sub} {elapsed_ms:0.0}ms")]
    private static partial void RequestLine(ILogger logger, string method, string? path, int status, string sub, double elapsed_ms);

    internal sealed record Denial(string Title, string Detail, string Missing);
}
