namespace Tarmac.Core.Validation;

/// <summary>
/// One parsed field. A struct so a row of them is a reused array, not a box per value;
/// only STRING values carry a reference.
/// </summary>
#pragma warning disable CA1051 // fields on purpose: a reused array of these is the hot path
public struct FieldValue
{
    public bool IsNull;
    public long Int64;
    public double Double;
    public decimal Decimal;
    public bool Boolean;
    public string? String;
    /// <summary>DATE (midnight, unspecified kind) or TIMESTAMP (UTC).</summary>
    public DateTime DateTime;
}
