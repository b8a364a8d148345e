using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;

namespace Tarmac.Testing;

/// <summary>Puts a test's own bucket around the host's real one (a <see cref="TarmacHost"/> <c>services</c> callback).</summary>
public static class TestStores
{
    /// <summary>Replaces the registered <see cref="IObjectStore"/> with <paramref name="wrap"/> of it.</summary>
    public static void Wrap(IServiceCollection services, Func<IObjectStore, IObjectStore> wrap)
    {
        var real = services.Single(d => d.ServiceType == typeof(IObjectStore));
        services.Remove(real);
        services.AddSingleton(sp => wrap((IObjectStore)real.ImplementationFactory!(sp)));
    }
}
