using Tarmac.Query.Http;

namespace Tarmac.Query;

/// <summary>Registration of the query function.</summary>
public static class QueryServiceCollectionExtensions
{
    /// <summary>Registers the query function's services: the dataset describer, the query time limit and the cursor key check.</summary>
    public static IServiceCollection AddQuery(this IServiceCollection services) =>
        services.AddSingleton<DatasetDescriber>().AddSingleton<QueryDeadline>().AddHostedService<CursorKeyStartupCheck>();
}
