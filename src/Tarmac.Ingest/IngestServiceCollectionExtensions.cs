using Microsoft.Extensions.DependencyInjection.Extensions;
using Tarmac.Core.Uploads;

namespace Tarmac.Ingest;

/// <summary>Registration of the ingest function.</summary>
public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// The ingest function's services. On Google Cloud the host adds the upload URL signer
    /// (<c>AddGoogleCloudSignedUploads</c>); without it, <c>POST /uploads</c> points at the direct upload route.
    /// </summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddSingleton<UploadService>();
        services.AddSingleton<UploadGate>();
        services.TryAddSingleton<UploadSignals>();
        return services;
    }
}
