using Tarmac.Core.Datasets;
using Tarmac.Core.Query;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// BigQuery Standard SQL: <c>`identifiers`</c>, <c>@p0</c> parameters with BigQuery types (sent as <c>jobs.query</c>
/// <c>queryParameters</c> with <c>parameterMode: NAMED</c>). Percentiles are <c>APPROX_QUANTILES(x, 100)[OFFSET(n)]</c>:
/// one pass, any data size, approximate (DuckDB's are exact).
/// </summary>
public sealed partial class BigQuerySql : SqlDialect
{
    /// <summary>The one instance (the dialect has no state).</summary>
    public static readonly BigQuerySql Dialect = new();

    private BigQuerySql() { }

    /// <inheritdoc />
    public override char ParameterPrefix => '@';

    /// <inheritdoc />
    public override string Quote(string identifier) => "`" + identifier.Replace("`", "", StringComparison.Ordinal) + "`";

    /// <inheritdoc />
    public override string StartsWith(string column, string parameter) => $"STARTS_WITH({column}, {parameter})";

    /// <inheritdoc />
    public override string CastFloat(string expression) => $"CAST({expression} AS FLOAT64)";

    /// <inheritdoc />
    public override string CastInteger(string expression) => expression; // SUM(INT64) is INT64 already

    /// <inheritdoc />
    public override string Percentile(string column, double quantile) =>
        $"APPROX_QUANTILES({column}, 100 IGNORE NULLS)[SAFE_OFFSET({(int)Math.Round(quantile * 100)})]";

    /// <summary>A renderer for one statement over the dataset's table in <paramref name="projectDataset"/> (<c>my-project.tarmac</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="projectDataset"/> is not a BigQuery project.dataset.</exception>
    public static SqlRenderer Renderer(DatasetSchema dataset, string projectDataset)
    {
        // Configuration, not user input, but it is written into SQL text: accept only what a project.dataset can be.
        if (!ProjectDatasetPattern().IsMatch(projectDataset))
            throw new ArgumentException($"'{projectDataset}' is not a BigQuery project.dataset.", nameof(projectDataset));
        return new SqlRenderer(Dialect, $"`{projectDataset}.{dataset.Name}`");
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9-]{4,61}[a-z0-9]\\.[A-Za-z0-9_]{1,1024}$")]
    private static partial System.Text.RegularExpressions.Regex ProjectDatasetPattern();
}
