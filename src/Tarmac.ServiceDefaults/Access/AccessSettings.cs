namespace Tarmac.ServiceDefaults.Access;

/// <summary>Where a host reads its callers from.</summary>
public enum CallerSource
{
    /// <summary>A Tarmac token in <c>Authorization: Bearer</c>, verified here (the local host).</summary>
    Bearer,

    /// <summary>The claims API Gateway verified and forwarded (Cloud Run behind the gateway).</summary>
    Gateway,
}

/// <summary>The access settings as resolved for this host.</summary>
/// <param name="Options">The settings.</param>
/// <param name="Enabled">Whether tokens are required.</param>
/// <param name="Source">Where callers come from.</param>
/// <param name="Hosting">Where the host runs.</param>
public sealed record AccessSettings(AccessOptions Options, bool Enabled, CallerSource Source, TarmacHosting Hosting);
