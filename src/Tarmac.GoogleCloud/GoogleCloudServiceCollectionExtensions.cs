using Google.Cloud.Storage.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Ports;
using Tarmac.GoogleCloud.Auth;
using Tarmac.GoogleCloud.BigQuery;
using Tarmac.GoogleCloud.Push;
using Tarmac.GoogleCloud.Signing;

namespace Tarmac.GoogleCloud;

/// <summary>Registration of the Google Cloud adapters.</summary>
public static class GoogleCloudServiceCollectionExtensions
{
    private const string BigQueryScope = "https://www.googleapis.com/auth/bigquery";
    private const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>
    /// Registers the bucket, the BigQuery ledger, loader and reader, and a no-op event publisher (the bucket's
    /// notification announces objects). Every registration is lazy: a function builds only what it resolves,
    /// and no credential is looked up before the first call that needs one.
    /// </summary>
    /// <exception cref="InvalidOperationException">A required setting is missing; the message names each.</exception>
    public static IServiceCollection AddGoogleCloudBackend(this IServiceCollection services, GoogleCloudOptions options)
    {
        GoogleCloudOptions.ThrowIfMissing("Tarmac", options.MissingCommon());
        services.AddSingleton(options);
        services.AddSingleton(_ => GcsObjectStore.CreateClient(options));
        services.AddSingleton<IObjectStore>(sp => new GcsObjectStore(sp.GetRequiredService<StorageClient>(), options.RawBucket!));
        services.AddSingleton(sp => new BigQueryClient(
            CreateHttpClient(options.BigQueryBaseUri, options.BigQueryEndpoint is null ? BigQueryScope : null, TimeSpan.FromMinutes(2)),
            options, TimeSpan.FromMilliseconds(Math.Max(1, options.RetryBaseDelayMs))));
        services.AddSingleton(sp => new BigQueryUploadLedger(sp.GetRequiredService<BigQueryClient>(), sp.GetRequiredService<IObjectStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IUploadLedger>(sp => sp.GetRequiredService<BigQueryUploadLedger>());
        services.AddSingleton(sp => new BigQueryWarehouse(
            sp.GetRequiredService<BigQueryClient>(), sp.GetRequiredService<BigQueryUploadLedger>(), sp.GetRequiredService<IObjectStore>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BigQueryWarehouse>>())
        {
            JobPollStart = TimeSpan.FromMilliseconds(Math.Max(1, options.JobPollMs)),
        });
        services.AddSingleton<IWarehouseLoader>(sp => sp.GetRequiredService<BigQueryWarehouse>());
        services.AddSingleton<IWarehouseReader>(sp => sp.GetRequiredService<BigQueryWarehouse>());
        services.AddSingleton<IObjectEventPublisher, BucketNotificationPublisher>();
        return services;
    }

    /// <summary>Registers what the process function adds on Google Cloud: the push token check.</summary>
    /// <exception cref="InvalidOperationException">A push setting is missing while push auth is on.</exception>
    public static IServiceCollection AddGoogleCloudPush(this IServiceCollection services, GoogleCloudOptions options)
    {
        GoogleCloudOptions.ThrowIfMissing("process", options.MissingPush());
        services.AddSingleton(sp => new PushTokenValidator(
            CreateHttpClient(null, null, TimeSpan.FromSeconds(10)), options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PushTokenValidator>>()));
        return services;
    }

    /// <summary>Registers what the ingest function adds on Google Cloud: signed resumable upload URLs.</summary>
    /// <exception cref="InvalidOperationException"><c>TARMAC_SIGNER_EMAIL</c> is missing.</exception>
    public static IServiceCollection AddGoogleCloudSignedUploads(this IServiceCollection services, GoogleCloudOptions options)
    {
        GoogleCloudOptions.ThrowIfMissing("ingest", string.IsNullOrWhiteSpace(options.SignerEmail) ? ["TARMAC_SIGNER_EMAIL"] : []);
        services.AddSingleton(sp =>
        {
            var iam = CreateHttpClient(options.IamBaseUri, options.IamEndpoint is null ? CloudPlatformScope : null, TimeSpan.FromSeconds(30));
            var signer = UrlSigner.FromBlobSigner(new IamBlobSigner(iam, options.SignerEmail!));
            return new ResumableUploadSigner(signer, options.RawBucket!, options, sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>The Google Cloud options registered by <see cref="AddGoogleCloudBackend"/>, or null on another backend.</summary>
    public static GoogleCloudOptions? FindGoogleCloudOptions(this IServiceCollection services) =>
        services.LastOrDefault(d => d.ServiceType == typeof(GoogleCloudOptions))?.ImplementationInstance as GoogleCloudOptions;

    private static HttpClient CreateHttpClient(Uri? baseAddress, string? scope, TimeSpan timeout)
    {
        HttpMessageHandler handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (scope is not null) handler = new GoogleAccessTokenHandler(scope) { InnerHandler = handler };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout };
    }

    /// <summary>On Google Cloud the bucket's notification announces each new object; ingest has nothing to publish.</summary>
    private sealed class BucketNotificationPublisher : IObjectEventPublisher
    {
        public ValueTask PublishAsync(ObjectFinalized evt, CancellationToken ct) => ValueTask.CompletedTask;
    }
}
