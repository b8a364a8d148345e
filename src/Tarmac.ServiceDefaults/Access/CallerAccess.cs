using Microsoft.AspNetCore.Http;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>The caller of a request, as the access middleware established it.</summary>
public static class CallerAccess
{
    private static readonly object Key = new();

    /// <summary>The request's caller; <see cref="Caller.Unrestricted"/> when auth is off.</summary>
    public static Caller Caller(this HttpContext http) => http.Items.TryGetValue(Key, out var c) && c is Caller caller ? caller : Access.Caller.Unrestricted;

    internal static void SetCaller(this HttpContext http, Caller caller) => http.Items[Key] = caller;
}
