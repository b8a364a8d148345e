namespace Tarmac.Core.Query;

/// <summary>What differs between the SQL dialects Tarmac writes.</summary>
public abstract class SqlDialect
{
    /// <summary>The sigil before a parameter name (<c>$</c>, <c>@</c>).</summary>
    public abstract char ParameterPrefix { get; }

    /// <summary>
    /// Quotes an identifier. Identifiers only ever come from schema files, which are validated against a strict
    /// pattern; quoting is a second fence, not the first.
    /// </summary>
    public abstract string Quote(string identifier);

    /// <summary>A prefix test of <paramref name="column"/> against a parameter.</summary>
    public abstract string StartsWith(string column, string parameter);

    /// <summary>The expression as a 64-bit float.</summary>
    public abstract string CastFloat(string expression);

    /// <summary>The expression as a 64-bit integer.</summary>
    public abstract string CastInteger(string expression);

    /// <summary>A percentile aggregate (<paramref name="quantile"/> in 0..1).</summary>
    public abstract string Percentile(string column, double quantile);
}
