using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>With auth off, a host asked to listen beyond loopback by any setting refuses to start, saying why.</summary>
public sealed class BindCheckTests
{
    [Theory]
    [InlineData("urls", "http://0.0.0.0:0")]
    [InlineData("urls", "http://127.0.0.1:0;http://+:0")]
    [InlineData("http_ports", "0")]
    [InlineData("Kestrel:Endpoints:Wide:Url", "http://[::]:0")]
    [InlineData("Kestrel:Endpoints:Named:Url", "http://tarmac.example:0")]
    public void A_non_loopback_bind_with_auth_off_refuses_to_start(string setting, string value)
    {
        var e = Assert.ThrowsAny<Exception>(() => new TarmacHost(settings: new Dictionary<string, string?> { [setting] = value }).Dispose());
        var message = e.ToString();
        Assert.Contains("Refusing to start: TARMAC_AUTH is off", message, StringComparison.Ordinal);
        Assert.Contains("Set TARMAC_AUTH=on", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://localhost:0")]
    [InlineData("http://[::1]:0")]
    public async Task A_loopback_bind_with_auth_off_starts(string url)
    {
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["urls"] = url });
        Assert.Equal("Healthy", await host.Http.GetStringAsync("/healthz"));
    }
}
