using System.Text.Json;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Who is calling and what they may do, read from a token's claims (a Tarmac token checked here, or the claims API
/// Gateway forwards after checking it): <c>sub</c>, <c>scope</c>, <c>datasets</c>, <c>filters</c>, <c>rps</c>.
/// </summary>
/// <param name="Subject">The consumer (<c>sub</c>): what rate limits and logs are keyed by.</param>
/// <param name="Scopes">Granted scopes.</param>
/// <param name="Datasets">Datasets the token may touch; null for every dataset.</param>
/// <param name="Filters">Row filters ANDed into every read: column → allowed values.</param>
/// <param name="Rps">The token's own rate, requests per second; null for the server default.</param>
/// <param name="Limited">False when auth is off: no scope, rate limit or quota applies.</param>
public sealed record Caller(
    string Subject,
    IReadOnlySet<string> Scopes,
    IReadOnlySet<string>? Datasets,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Filters,
    double? Rps,
    bool Limited = true)
{
    /// <summary>The caller when auth is off: may do everything, unlimited.</summary>
    public static readonly Caller Unrestricted = new("local", new HashSet<string>(Access.Scopes.All), null,
        new Dictionary<string, IReadOnlyList<string>>(), null, Limited: false);

    /// <summary>Whether the caller holds a scope (admin holds every scope).</summary>
    public bool Has(string scope) => !Limited || Scopes.Contains(scope) || Scopes.Contains(Access.Scopes.Admin);

    /// <summary>Whether the caller may touch a dataset.</summary>
    public bool MayUse(string dataset) => Datasets is null || Datasets.Contains(dataset);

    /// <summary>Reads the claims of a token's payload (a JSON object).</summary>
    /// <exception cref="FormatException">A claim has the wrong shape.</exception>
    public static Caller FromClaims(JsonElement claims)
    {
        var sub = claims.TryGetProperty("sub", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() is { Length: > 0 } subject
            ? subject : throw new FormatException("the token has no sub");
        var scopes = claims.TryGetProperty("scope", out var sc) && sc.ValueKind == JsonValueKind.String
            ? sc.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
        HashSet<string>? datasets = null;
        if (claims.TryGetProperty("datasets", out var ds))
            datasets = Strings(ds, "datasets").ToHashSet(StringComparer.Ordinal);
        var filters = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (claims.TryGetProperty("filters", out var f))
        {
            if (f.ValueKind != JsonValueKind.Object) throw new FormatException("filters must be an object");
            foreach (var column in f.EnumerateObject()) filters[column.Name] = Strings(column.Value, "filters." + column.Name).ToList();
        }
        double? rps = claims.TryGetProperty("rps", out var r) ? (r.ValueKind == JsonValueKind.Number && r.GetDouble() > 0 ? r.GetDouble() : throw new FormatException("rps must be a positive number")) : null;
        return new Caller(sub, scopes, datasets, filters, rps);
    }

    private static List<string> Strings(JsonElement array, string claim)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new FormatException($"{claim} must be an array of strings");
        return array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new FormatException($"{claim} must be an array of strings")).ToList();
    }
}
