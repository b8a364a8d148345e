using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

/// <summary>
/// A load session whose DuckDB out-of-memory failures surface as <see cref="TransientFailureException"/>: the processor
/// then keeps the uploads stored and tries them again later, instead of spending their attempts and marking them failed
/// for a condition that passes once other work (a large export, say) has released the buffer pool.
/// </summary>
internal sealed class OutOfMemoryAsTransient(ILoadSession inner) : ILoadSession
{
    public IReadOnlyDictionary<string, UploadRecord> Current => inner.Current;

    public DateTimeOffset StartedAt => inner.StartedAt;

    public Task<ValidationResult?> TryLoadFastAsync(LoadRequest request, CancellationToken ct) => Guard(() => inner.TryLoadFastAsync(request, ct));

    public async Task<IUploadRowWriter> OpenRowsAsync(LoadRequest request, CancellationToken ct) =>
        new Rows(await Guard(() => inner.OpenRowsAsync(request, ct)));

    public Task DiscardRowsAsync(LoadRequest request, CancellationToken ct) => Guard(async () =>
    {
        await inner.DiscardRowsAsync(request, ct);
        return true;
    });

    public Task<IReadOnlyList<UploadRecord>> CommitAsync(IReadOnlyList<UploadRecord> outcomes, CancellationToken ct) =>
        Guard(() => inner.CommitAsync(outcomes, ct));

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <summary>Runs <paramref name="work"/>, turning an out-of-memory failure into a transient one.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (DuckDbErrors.IsOutOfMemory(e))
        {
            throw DuckDbErrors.Transient(e);
        }
    }

    private sealed class Rows(IUploadRowWriter inner) : IUploadRowWriter
    {
        public void Append(ReadOnlySpan<FieldValue> row, long line)
        {
            try
            {
                inner.Append(row, line);
            }
            catch (Exception e) when (DuckDbErrors.IsOutOfMemory(e))
            {
                throw DuckDbErrors.Transient(e);
            }
        }

        public Task CompleteAsync(CancellationToken ct) => Guard(async () =>
        {
            await inner.CompleteAsync(ct);
            return true;
        });

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
