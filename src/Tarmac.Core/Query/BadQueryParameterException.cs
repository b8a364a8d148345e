namespace Tarmac.Core.Query;

/// <summary>A query parameter Tarmac cannot accept: which one, why, and what it allows.</summary>
public sealed class BadQueryParameterException(string parameter, string detail, IReadOnlyList<string>? allowed = null) : Exception(detail)
{
    /// <summary>The query parameter at fault.</summary>
    public string Parameter { get; } = parameter;
    /// <summary>What the parameter accepts, when that is a list.</summary>
    public IReadOnlyList<string>? Allowed { get; } = allowed;
}
