namespace Tarmac.Query;
internal static class QueryDocs
{
    public const string RowsDescription = "";
    public const string StatsDescription = "";
    public static Task DescribeRows(Microsoft.OpenApi.OpenApiOperation op) => Task.CompletedTask;
    public static Task DescribeStats(Microsoft.OpenApi.OpenApiOperation op) => Task.CompletedTask;
}
