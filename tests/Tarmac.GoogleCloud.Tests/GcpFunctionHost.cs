using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Ingest;
using Tarmac.Process;
using Tarmac.Query;
using Tarmac.ServiceDefaults;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>Which function a <see cref="GcpFunctionHost"/> runs.</summary>
public enum CloudFunction { Ingest, Process, Query }

/// <summary>
/// One Tarmac function alone on the Google Cloud backend, wired exactly as its Program.cs wires it, on a Kestrel
/// socket on 127.0.0.1, talking to a <see cref="FakeGoogleCloud"/>.
/// </summary>
public sealed class GcpFunctionHost : IAsyncDisposable
{
    public const string Project = "tarmac-test";
    public const string Bucket = "tarmac-raw";
    public const string Dataset = "tarmac_ds";
    public const string Audience = "https://process.example/pubsub/push";
    public const string PushAccount = "push@tarmac-test.iam.gserviceaccount.com";

    private GcpFunctionHost(WebApplication app)
    {
        App = app;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }
    public HttpClient Http { get; }

    /// <summary>The settings a deployed function gets (infra's app contract), pointed at the fake.</summary>
    public static Dictionary<string, string?> Settings(FakeGoogleCloud fake) => new()
    {
        ["TARMAC_GCP_PROJECT"] = Project,
        ["TARMAC_RAW_BUCKET"] = Bucket,
        ["TARMAC_BQ_DATASET"] = Dataset,
        ["TARMAC_BQ_LOCATION"] = "US",
        ["TARMAC_BIGQUERY_ENDPOINT"] = fake.BigQueryEndpoint,
        ["STORAGE_EMULATOR_HOST"] = fake.BaseUrl,
        ["TARMAC_IAM_ENDPOINT"] = fake.IamEndpoint,
        ["TARMAC_SIGNER_EMAIL"] = "ingest@tarmac-test.iam.gserviceaccount.com",
        ["TARMAC_PUSH_AUDIENCE"] = Audience,
        ["TARMAC_PUSH_SERVICE_ACCOUNT"] = PushAccount,
        ["TARMAC_PUSH_JWKS_URL"] = fake.JwksUrl,
        ["TARMAC_PUBSUB_ENDPOINT"] = fake.PubSubEndpoint,
        ["TARMAC_DEAD_LETTER_SUBSCRIPTION"] = "projects/tarmac-test/subscriptions/tarmac-dead-letter-sweep",
        // Flushes are called explicitly (POST /flush) unless a test shortens the window to watch the timer.
        ["TARMAC_BATCH_WINDOW_MS"] = "600000",
        ["TARMAC_FLUSH_MIN_INTERVAL_MS"] = "0",
        ["TARMAC_BQ_RETRY_BASE_MS"] = "1",
        ["TARMAC_BQ_JOB_POLL_MS"] = "1",
        ["TARMAC_SCHEMAS"] = Path.Combine(AppContext.BaseDirectory, "schemas"),
        // From Secret Manager on Cloud Run (infra/secrets.tf); query refuses to start without it when auth is on.
        ["TARMAC_CURSOR_KEY"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 1)).ToArray()),
        // On loopback, as an emulator run: the gateway-claims checks have their own tests (AccessGatewayTests).
        ["TARMAC_AUTH"] = "off",
    };

    public static async Task<GcpFunctionHost> StartAsync(CloudFunction function, IDictionary<string, string?> settings)
    {
        var builder = Build(function, settings);
        var app = builder.Build();
        app.MapTarmacDefaults();
        switch (function)
        {
            case CloudFunction.Ingest: app.MapIngest(); break;
            case CloudFunction.Process: app.MapPubSubPush(); app.MapScheduledRuns(); break;
            case CloudFunction.Query: app.MapQuery(); break;
        }
        await app.StartAsync();
        return new GcpFunctionHost(app);
    }

    /// <summary>The builder as Program.cs sets it up (a misconfigured service stops when it starts).</summary>
    public static WebApplicationBuilder Build(CloudFunction function, IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddTarmacDefaults(TarmacHosting.CloudRun);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddGoogleCloudBackend();
        switch (function)
        {
            case CloudFunction.Ingest: builder.AddGoogleCloudSignedUploads(); builder.Services.AddIngest(); break;
            case CloudFunction.Process: builder.AddGoogleCloudPushAuth(); builder.Services.AddProcess().AddPubSubPush(); break;
            case CloudFunction.Query: builder.Services.AddQuery(); break;
        }
        return builder;
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>The push request Pub/Sub sends for a Cloud Storage notification (JSON_API_V1).</summary>
    /// <summary>The <c>message</c> of a Cloud Storage notification, as pushed or pulled.</summary>
    public static JsonObject NotificationMessage(string bucket, string name, long generation, string eventType = "OBJECT_FINALIZE", string messageId = "1001") =>
        (JsonObject)JsonNode.Parse(PushRequest(null, bucket, name, generation, eventType, messageId).Content!.ReadAsStringAsync().GetAwaiter().GetResult())!["message"]!.DeepClone();

    public static HttpRequestMessage PushRequest(string? token, string bucket, string name, long generation, string eventType = "OBJECT_FINALIZE", string messageId = "1001")
    {
        var resource = new JsonObject { ["bucket"] = bucket, ["name"] = name, ["generation"] = generation.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var envelope = new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["attributes"] = new JsonObject
                {
                    ["bucketId"] = bucket, ["objectId"] = name, ["objectGeneration"] = generation.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["eventType"] = eventType, ["payloadFormat"] = "JSON_API_V1", ["notificationConfig"] = "projects/_/buckets/b/notificationConfigs/1",
                },
                ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(resource.ToJsonString())),
                ["messageId"] = messageId,
                ["publishTime"] = "2026-11-28T10:00:00.000Z",
            },
            ["subscription"] = "projects/tarmac-test/subscriptions/objects-push",
        };
        return RawPush(token, envelope.ToJsonString());
    }

    public static HttpRequestMessage RawPush(string? token, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/pubsub/push") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    /// <summary>A Cloud Scheduler run of process (<c>POST /flush</c> or <c>/sweep</c>), with the body Cloud Scheduler sends.</summary>
    public static HttpRequestMessage ScheduledRun(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
