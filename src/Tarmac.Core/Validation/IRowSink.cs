namespace Tarmac.Core.Validation;

/// <summary>Receives each accepted row, values indexed by schema column ordinal.</summary>
public interface IRowSink
{
    /// <summary>Called once per accepted row; <paramref name="row"/> is reused after the call returns.</summary>
    void Append(ReadOnlySpan<FieldValue> row, long line);
}
