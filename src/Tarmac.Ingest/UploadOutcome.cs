using Tarmac.Core.Uploads;

namespace Tarmac.Ingest;

/// <summary>What <see cref="UploadService"/> made of an upload: <see cref="UploadAccepted"/> or <see cref="UploadRefused"/>.</summary>
public abstract record UploadOutcome;

/// <summary>The upload is stored and registered.</summary>
/// <param name="Upload">Its ledger record; for a duplicate, the original upload's.</param>
/// <param name="Duplicate">The ledger already held the same bytes for this dataset, so this is the original upload.</param>
/// <param name="Final">The upload's status is final (a waiting caller got its outcome); false while it is still only stored.</param>
public sealed record UploadAccepted(UploadRecord Upload, bool Duplicate, bool Final) : UploadOutcome;

/// <summary>The upload is refused; <see cref="Detail"/> tells the client what to fix.</summary>
/// <param name="Reason">The kind of refusal, from which the HTTP side picks a status.</param>
/// <param name="Title">A short, fixed summary of the refusal.</param>
/// <param name="Detail">What was wrong and what to send instead.</param>
public sealed record UploadRefused(UploadRefusal Reason, string Title, string Detail) : UploadOutcome;

/// <summary>Why an upload was refused.</summary>
public enum UploadRefusal
{
    /// <summary>The bytes are not a CSV this dataset takes, or could not be decoded.</summary>
    Invalid,

    /// <summary>There is no such dataset.</summary>
    UnknownDataset,

    /// <summary>The upload exceeds the size limit.</summary>
    TooLarge,

    /// <summary>The server has no space left to store it (507); nothing of it was kept, and a retry later may succeed.</summary>
    InsufficientStorage,
}
