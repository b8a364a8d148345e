using Tarmac.Core.Query;
using Tarmac.ServiceDefaults;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Query;

/// <summary>
/// On Google Cloud, resolves the cursor key when the host starts rather than at the first paged read, so a query service
/// without <c>TARMAC_CURSOR_KEY</c> fails its deploy (Cloud Run's startup probe never passes) instead of serving
/// forgeable cursors or failing requests later. Locally the key file is still created on first use.
/// </summary>
internal sealed class CursorKeyStartupCheck(AccessSettings settings, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Hosting == TarmacHosting.CloudRun) _ = services.GetRequiredService<CursorKey>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
