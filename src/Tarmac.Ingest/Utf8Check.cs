using System.Buffers;
using System.Text.Unicode;

namespace Tarmac.Ingest;

/// <summary>Checks that a body read in chunks is UTF-8, carrying a character split between two reads over to the next.</summary>
internal sealed class Utf8Check
{
    private readonly byte[] _carry = new byte[8];
    private int _carryLength;

    /// <summary>Checks the next chunk; false when it holds bytes that are not UTF-8.</summary>
    public bool Append(ReadOnlySpan<byte> chunk)
    {
        ReadOnlySpan<byte> data = chunk;
        byte[]? rented = null;
        if (_carryLength > 0)
        {
            rented = ArrayPool<byte>.Shared.Rent(_carryLength + chunk.Length);
            _carry.AsSpan(0, _carryLength).CopyTo(rented);
            chunk.CopyTo(rented.AsSpan(_carryLength));
            data = rented.AsSpan(0, _carryLength + chunk.Length);
        }
        try
        {
            var complete = CompleteLength(data);
            if (!Utf8.IsValid(data[..complete])) return false;
            data[complete..].CopyTo(_carry);
            _carryLength = data.Length - complete;
            return true;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>False when the body ended in the middle of a character.</summary>
    public bool Finish() => _carryLength == 0;

    /// <summary>Length of <paramref name="data"/> without a trailing, possibly incomplete, UTF-8 sequence.</summary>
    private static int CompleteLength(ReadOnlySpan<byte> data)
    {
        for (var back = 1; back <= 3 && back <= data.Length; back++)
        {
            var b = data[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead byte
            var needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? data.Length - back : data.Length;
        }
        return data.Length;
    }
}
