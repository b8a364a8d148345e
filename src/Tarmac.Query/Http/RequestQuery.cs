using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Tarmac.Core.Query;

namespace Tarmac.Query.Http;

/// <summary>What the query grammar needs from a request, and the links it answers with.</summary>
internal static class RequestQuery
{
    /// <summary>Every parameter as sent, repeats included, in order: the grammar rejects what it does not know.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Pairs(IQueryCollection query)
    {
        foreach (var (k, values) in query)
            foreach (var v in values) yield return new(k, v ?? "");
    }

    /// <summary>The row format from Accept, by quality; JSON when nothing we serve is named.</summary>
    public static RowFormat Negotiate(StringValues accept)
    {
        if (accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var types)) return RowFormat.Json;
        foreach (var t in types.OrderByDescending(t => t.Quality ?? 1.0))
        {
            var m = t.MediaType.Value;
            if (string.Equals(m, "application/x-ndjson", StringComparison.OrdinalIgnoreCase)) return RowFormat.Ndjson;
            if (string.Equals(m, "text/csv", StringComparison.OrdinalIgnoreCase)) return RowFormat.Csv;
            if (string.Equals(m, "application/json", StringComparison.OrdinalIgnoreCase) || m is "*/*" or "application/*") return RowFormat.Json;
        }
        return RowFormat.Json;
    }

    /// <summary>The same request with the cursor of the next page, as a reference relative to the host (RFC 8288 allows it).</summary>
    public static string NextPageUrl(HttpRequest request, string cursor)
    {
        var query = new List<KeyValuePair<string, string?>>();
        foreach (var (k, values) in request.Query)
        {
            if (k == "cursor") continue;
            foreach (var v in values) query.Add(new(k, v));
        }
        query.Add(new("cursor", cursor));
        return QueryHelpers.AddQueryString(request.PathBase + request.Path, query);
    }
}
