using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Who sent each upload, so a producer with the <c>status</c> scope sees only its own uploads. One empty object per
/// (upload, consumer) in the raw bucket, <c>state/owners/{upload_id}/{sha256(sub)}</c>: create-only like every object
/// there, and a set rather than one owner because a duplicate upload answers with the first upload's id.
/// </summary>
public sealed class UploadOwners(IObjectStore store)
{
    /// <summary>Records that <paramref name="sub"/> sent (or re-sent) the upload.</summary>
    public async Task RecordAsync(string uploadId, string sub, CancellationToken ct)
    {
        try
        {
            await store.CreateAsync(Name(uploadId, sub), Stream.Null, null, ct);
        }
        catch (ObjectAlreadyExistsException)
        {
            // Already recorded: the same consumer sent the same bytes again.
        }
    }

    /// <summary>Whether <paramref name="sub"/> sent the upload.</summary>
    public async Task<bool> IsOwnerAsync(string uploadId, string sub, CancellationToken ct) =>
        await store.GetAsync(Name(uploadId, sub), ct) is not null;

    private static string Name(string uploadId, string sub) =>
        $"state/owners/{uploadId}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sub)))}";
}

/// <summary>Records the owner of what an upload route accepted.</summary>
public static class UploadOwnerExtensions
{
    /// <summary>
    /// After the handler, records the caller as owner of the upload id in its 200/202 answer (any value with an
    /// <c>UploadId</c> property, so ingest's views need not know about access).
    /// </summary>
    public static RouteHandlerBuilder RecordsUploadOwner(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var caller = context.HttpContext.Caller();
            var inner = result is INestedHttpResult nested ? nested.Result : result as IResult;
            if (caller.Limited && inner is IStatusCodeHttpResult { StatusCode: 200 or 202 } && inner is IValueHttpResult { Value: { } value }
                && value.GetType().GetProperty("UploadId")?.GetValue(value) is string { Length: > 0 } uploadId)
            {
                await context.HttpContext.RequestServices.GetRequiredService<UploadOwners>().RecordAsync(uploadId, caller.Subject, context.HttpContext.RequestAborted);
            }
            return result;
        });
}
