using Tarmac.Query.Http;

namespace Tarmac.Query;

/// <summary>Registration of the query function.</summary>
public static class QueryServiceCollectionExtensions
{
    /// <summary>Registers the query function's services: the dataset describer and the query time limit.</summary>
    public static IServiceCollection AddQuery(this IServiceCollection services) =>
        services.AddSingleton<DatasetDescriber>().AddSingleton<QueryDeadline>();
}
