namespace Tarmac.Query;

/// <summary>Registration of the query function.</summary>
public static class QueryServiceCollectionExtensions
{
    /// <summary>Registers the query function's services.</summary>
    public static IServiceCollection AddQuery(this IServiceCollection services) => services.AddSingleton<QueryService>();
}
