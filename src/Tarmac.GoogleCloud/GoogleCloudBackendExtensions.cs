using Google.Cloud.Storage.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tarmac.Core.Ports;
using Tarmac.GoogleCloud.Auth;
using Tarmac.GoogleCloud.BigQuery;
using Tarmac.GoogleCloud.Push;
using Tarmac.GoogleCloud.Signing;
using Tarmac.GoogleCloud.State;

namespace Tarmac.GoogleCloud;

/// <summary>Registration of the Google Cloud adapters, one call per capability a function uses.</summary>
public static class GoogleCloudBackendExtensions
{
    private const string BigQueryClientName = "bigquery";
    private const string IamClientName = "iam";
    private const string JwksClientName = "jwks";
    private const string PubSubClientName = "pubsub";
    private const string PubSubScope = "https://www.googleapis.com/auth/pubsub";
    private const string BigQueryScope = "https://www.googleapis.com/auth/bigquery";
    private const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>
    /// The bucket, the upload state in Cloud Storage (with its BigQuery audit table), the BigQuery loader and reader, and a no-op event publisher (the bucket's notification announces
    /// objects). Every registration is lazy: a function builds only what it resolves, and no credential is looked up before
    /// the first call that needs one. Missing settings stop the host at startup, each named.
    /// </summary>
    public static IHostApplicationBuilder AddGoogleCloudBackend(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GoogleCloudOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GoogleCloudOptions>>(new RequiredSettings("Tarmac", o => o.MissingCommon()));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<GoogleCloudOptions>>().Value);

        // BigQueryClient retries on its own, because BigQuery's transient answers include rate-limit reasons sent with 403
        // that a generic handler cannot see; the pipeline adds the timeouts, the concurrency limit and the circuit breaker.
        services.AddHttpClient(BigQueryClientName, (sp, c) =>
            {
                c.BaseAddress = Options(sp).BigQueryBaseUri;
                c.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's timeouts govern
            })
            .AddGoogleCredentials(o => o.BigQueryEndpoint is null ? BigQueryScope : null)
            .AddStandardResilienceHandler(r =>
            {
                r.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
                r.AttemptTimeout.Timeout = TimeSpan.FromMinutes(2);
                r.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(5);
                r.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(5);
            });
        services.AddSingleton<IObjectStore>(sp => new GcsObjectStore(GcsObjectStore.CreateClient(Options(sp)), Options(sp).RawBucket!));
        services.AddSingleton(sp => new BigQueryClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(BigQueryClientName),
            Options(sp), TimeSpan.FromMilliseconds(Math.Max(1, Options(sp).RetryBaseDelayMs))));
        services.AddSingleton(sp => new GcsStateObjects(GcsObjectStore.CreateClient(Options(sp)), Options(sp).RawBucket!));
        services.AddSingleton<UploadAudit>();
        services.AddSingleton<GcsUploadLedger>();
        services.AddSingleton<IUploadLedger>(sp => sp.GetRequiredService<GcsUploadLedger>());
        services.AddSingleton<PendingLoads>();
        services.AddSingleton<BigQueryWarehouseLoader>();
        services.AddSingleton<IWarehouseLoader>(sp => sp.GetRequiredService<BigQueryWarehouseLoader>());
        services.AddSingleton(sp => new BigQueryWarehouseReader(sp.GetRequiredService<BigQueryClient>()));
        services.AddSingleton<IWarehouseReader>(sp => sp.GetRequiredService<BigQueryWarehouseReader>());
        services.AddSingleton<IObjectEventPublisher, BucketNotificationPublisher>();
        return builder;
    }

    /// <summary>
    /// What the process function adds on Google Cloud: the check of the OIDC token on each Pub/Sub push and scheduled call,
    /// and the flush that loads staged rows (<see cref="BigQueryFlusher"/>).
    /// </summary>
    public static IHostApplicationBuilder AddGoogleCloudPushAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new BigQueryFlusher(sp.GetRequiredService<BigQueryClient>(), sp.GetRequiredService<GcsUploadLedger>(),
            sp.GetRequiredService<GcsStateObjects>(), sp.GetRequiredService<PendingLoads>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BigQueryFlusher>>())
        {
            JobPollStart = TimeSpan.FromMilliseconds(Math.Max(1, Options(sp).JobPollMs)),
            MinInterval = TimeSpan.FromMilliseconds(Math.Max(0, Options(sp).FlushMinIntervalMs)),
        });
        builder.Services.AddSingleton<IValidateOptions<GoogleCloudOptions>>(new RequiredSettings("process", o => o.MissingPush()));
        builder.Services.AddHttpClient(JwksClientName).AddStandardResilienceHandler();
        builder.Services.AddHttpClient(PubSubClientName, (sp, c) => c.BaseAddress = Options(sp).PubSubBaseUri)
            .AddGoogleCredentials(o => o.PubSubEndpoint is null ? PubSubScope : null)
            .AddStandardResilienceHandler();
        builder.Services.AddSingleton(sp =>
            new DeadLetterSubscription(sp.GetRequiredService<IHttpClientFactory>().CreateClient(PubSubClientName), Options(sp).DeadLetterSubscription));
        builder.Services.AddSingleton(sp => new PushTokenValidator(sp.GetRequiredService<IHttpClientFactory>().CreateClient(JwksClientName),
            Options(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PushTokenValidator>>()));
        return builder;
    }

    /// <summary>What the ingest function adds on Google Cloud: signed resumable upload URLs, signed through IAM <c>signBlob</c>.</summary>
    public static IHostApplicationBuilder AddGoogleCloudSignedUploads(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<GoogleCloudOptions>>(
            new RequiredSettings("ingest", o => string.IsNullOrWhiteSpace(o.SignerEmail) ? ["TARMAC_SIGNER_EMAIL"] : []));
        builder.Services.AddHttpClient(IamClientName, (sp, c) => c.BaseAddress = Options(sp).IamBaseUri)
            .AddGoogleCredentials(o => o.IamEndpoint is null ? CloudPlatformScope : null)
            .AddStandardResilienceHandler();
        builder.Services.AddSingleton(sp =>
        {
            var options = Options(sp);
            var signer = UrlSigner.FromBlobSigner(new IamBlobSigner(sp.GetRequiredService<IHttpClientFactory>().CreateClient(IamClientName), options.SignerEmail!));
            return new ResumableUploadSigner(signer, options.RawBucket!, options, sp.GetRequiredService<TimeProvider>());
        });
        return builder;
    }

    private static GoogleCloudOptions Options(IServiceProvider sp) => sp.GetRequiredService<GoogleCloudOptions>();

    /// <summary>Adds an access token for <paramref name="scope"/> unless it is null (an emulator or fake endpoint).</summary>
    private static IHttpClientBuilder AddGoogleCredentials(this IHttpClientBuilder client, Func<GoogleCloudOptions, string?> scope) =>
        client.AddHttpMessageHandler(sp => scope(Options(sp)) is { } s ? new GoogleAccessTokenHandler(s) : new PassThroughHandler());

    private sealed class PassThroughHandler : DelegatingHandler;

    /// <summary>Fails startup naming every setting a capability needs that is not set.</summary>
    private sealed class RequiredSettings(string function, Func<GoogleCloudOptions, IEnumerable<string>> missing) : IValidateOptions<GoogleCloudOptions>
    {
        public ValidateOptionsResult Validate(string? name, GoogleCloudOptions options) => missing(options).ToList() is { Count: > 0 } names
            ? ValidateOptionsResult.Fail($"The {function} service on Google Cloud needs these settings, which are not set: {string.Join(", ", names)}.")
            : ValidateOptionsResult.Success;
    }

    /// <summary>On Google Cloud the bucket's notification announces each new object; ingest has nothing to publish.</summary>
    private sealed class BucketNotificationPublisher : IObjectEventPublisher
    {
        public ValueTask PublishAsync(ObjectFinalized evt, CancellationToken ct) => ValueTask.CompletedTask;
    }
}
