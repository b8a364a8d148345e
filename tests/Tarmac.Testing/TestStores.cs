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
        // The real store is a singleton of its own, so the container disposes it with the host (the folder bucket holds
        // its segment files open and runs a writer).
        services.AddSingleton(sp => new RealStore((IObjectStore)real.ImplementationFactory!(sp)));
        services.AddSingleton(sp => wrap(sp.GetRequiredService<RealStore>().Store));
    }

    private sealed class RealStore(IObjectStore store) : IDisposable
    {
        public IObjectStore Store => store;
        public void Dispose() => (store as IDisposable)?.Dispose();
    }
}
