using Microsoft.AspNetCore.Builder;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Endpoint metadata: the scope a route needs, and the dataset it touches when its route has no <c>{name}</c>
/// (<c>/getdata</c> reads flights). Routes without it need only a valid token when auth is on.
/// </summary>
/// <param name="Scope">The scope required (<see cref="Scopes"/>).</param>
/// <param name="UnnamedDataset">The dataset of a route without a <c>{name}</c> value, if it touches one.</param>
public sealed record AccessRequirement(string Scope, string? UnnamedDataset = null)
{
    /// <summary>The route value that names the dataset.</summary>
    public const string DatasetRouteValue = "name";

    /// <summary>The route value that names an upload (status routes check its sender).</summary>
    public const string UploadRouteValue = "id";

    /// <summary>Whether the route counts against the upload limit and quota instead of the request limit.</summary>
    public bool IsUpload => Scope == Scopes.Upload;
}

/// <summary>Puts an <see cref="AccessRequirement"/> on routes or route groups.</summary>
public static class AccessRequirementExtensions
{
    /// <summary>Requires <paramref name="scope"/> (and, with a dataset, the right to that dataset) on these routes.</summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, string scope, string? unnamedDataset = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRequirement(scope, unnamedDataset));
}
