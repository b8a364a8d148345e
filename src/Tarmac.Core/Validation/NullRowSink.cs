namespace Tarmac.Core.Validation;

/// <summary>A sink that keeps nothing: for a pass that only counts and explains.</summary>
public sealed class NullRowSink : IRowSink
{
    /// <summary>The one instance (it has no state).</summary>
    public static readonly NullRowSink Instance = new();

    private NullRowSink() { }

    /// <inheritdoc />
    public void Append(ReadOnlySpan<FieldValue> row, long line) { }
}
