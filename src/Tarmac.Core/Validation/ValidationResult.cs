namespace Tarmac.Core.Validation;

/// <summary>The outcome of validating one file: counts and the first row errors.</summary>
public sealed class ValidationResult
{
    /// <summary>At most this many errors are kept per upload.</summary>
    public const int MaxErrors = 100;

    private readonly List<RowError> _errors = [];

    public long RowsAccepted { get; set; }
    public long RowsRejected { get; set; }

    /// <summary>The first <see cref="MaxErrors"/> errors, in file order.</summary>
    public IReadOnlyList<RowError> Errors => _errors;

    /// <summary>Set when the whole file is unusable (e.g. its header does not match the schema).</summary>
    public string? FileError { get; internal set; }

    internal void AddError(RowError error)
    {
        if (_errors.Count < MaxErrors) _errors.Add(error);
    }

    /// <summary>Builds a result that rejects a whole file.</summary>
    public static ValidationResult ForFileError(string reason)
    {
        var r = new ValidationResult { FileError = reason };
        r.AddError(new RowError(1, null, null, reason));
        return r;
    }
}
