using Microsoft.Extensions.DependencyInjection.Extensions;
using Tarmac.Core.Uploads;
using Tarmac.GoogleCloud;

namespace Tarmac.Ingest;

public static class IngestServiceCollectionExtensions
{
    /// <summary>Registers the ingest function's services (on Google Cloud also the upload URL signer).</summary>
    /// <exception cref="InvalidOperationException">On Google Cloud, <c>TARMAC_SIGNER_EMAIL</c> is missing.</exception>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        if (services.FindGoogleCloudOptions() is { } gcp) services.AddGoogleCloudSignedUploads(gcp);
        services.AddSingleton<UploadService>();
        services.TryAddSingleton<UploadSignals>();
        return services;
    }
}
