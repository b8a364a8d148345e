using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Net.Http.Headers;
using Tarmac.Core.Query;

namespace Tarmac.Query.Http;

/// <summary>Validators on query responses (RFC 9110 §8.8, §13): a strong ETag per data version and representation.</summary>
internal static class ConditionalGet
{
    /// <summary>
    /// Sets ETag, Cache-Control and Last-Modified for <paramref name="version"/>, and says whether the client's copy is
    /// current: If-None-Match when sent, else If-Modified-Since (second precision, as HTTP dates are).
    /// </summary>
    public static bool NotModified(HttpContext http, DatasetVersion version, string representation)
    {
        var etag = new EntityTagHeaderValue(ETag(version.Version, representation));
        http.Response.Headers.ETag = etag.ToString();
        http.Response.Headers.CacheControl = "no-cache"; // cache, but ask again: a load may land any time
        if (version.LastLoadedAt is { } at) http.Response.Headers.LastModified = HeaderUtilities.FormatDate(at);

        var ifNoneMatch = http.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0)
            return EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags) && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: true));
        return version.LastLoadedAt is { } last
            && HeaderUtilities.TryParseDate(http.Request.Headers.IfModifiedSince.ToString(), out var since)
            && last.UtcDateTime.AddTicks(-(last.UtcTicks % TimeSpan.TicksPerSecond)) <= since;
    }

    /// <summary>A strong ETag: the dataset's data version and everything that selects the response's bytes.</summary>
    public static string ETag(long version, string representation)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{version.ToString(CultureInfo.InvariantCulture)}\n{representation}"));
        return "\"" + version.ToString(CultureInfo.InvariantCulture) + "-" + Base64Url.EncodeToString(hash.AsSpan(0, 12)) + "\"";
    }
}
