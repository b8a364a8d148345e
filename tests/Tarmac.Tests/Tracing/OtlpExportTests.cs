using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Tarmac.Testing;

namespace Tarmac.Tests.Tracing;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the host exports its spans over OTLP; the upload's trace is among them.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Spans_are_exported_over_OTLP_when_the_endpoint_is_configured()
    {
        // A collector stand-in: OTLP/HTTP posts protobuf to /v1/traces.
        var received = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.Run(async ctx =>
        {
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            received.Enqueue((ctx.Request.Path.Value ?? "", ctx.Request.ContentType, body.ToArray()));
            ctx.Response.StatusCode = StatusCodes.Status200OK;
        });
        await collector.StartAsync();

        const string traceId = "7a1b2c3d4e5f60718293a4b5c6d7e8f9";
        using var host = new TarmacHost(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Urls.First(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "50",
        });
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = host.Http.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload?wait=true") { Content = new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv") };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-0f0e0d0c0b0a0908-01");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // A span carries its trace id as 16 raw bytes; the process span ("tarmac.process") names itself.
        var id = Convert.FromHexString(traceId);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!received.Any(r => r.Body.AsSpan().IndexOf(id) >= 0 && r.Body.AsSpan().IndexOf("tarmac.process"u8) >= 0))
            await Task.Delay(20, cts.Token); // polling what the collector received
        var export = received.First(r => r.Body.AsSpan().IndexOf(id) >= 0);
        Assert.Equal("/v1/traces", export.Path);
        Assert.Equal("application/x-protobuf", export.ContentType);
    }
}
