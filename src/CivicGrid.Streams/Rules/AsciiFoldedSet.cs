using System.Collections.Frozen;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CivicGrid.Streams;

/// <summary>
/// A set of strings compared with <see cref="StringComparison.OrdinalIgnoreCase"/>, fast for ASCII
/// lookups (numbers, accounts, package names, domains): the hash folds A-Z to a-z four characters at
/// a time and the table keeps each entry's full hash, so a miss usually costs one hash and one probe.
/// Exactly OrdinalIgnoreCase: under it no non-ASCII character equals an ASCII one, so an ASCII value
/// can only equal an ASCII entry; a value with any non-ASCII character is looked up in a FrozenSet with
/// the OrdinalIgnoreCase comparer.
/// </summary>
internal sealed class AsciiFoldedSet
{
    private readonly string?[] _entries;
    private readonly ulong[] _hashes;
    private readonly int _mask;
    private readonly FrozenSet<string> _all;

    public AsciiFoldedSet(IEnumerable<string> values)
    {
        _all = values.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, _all.Count * 2));
        _entries = new string?[size];
        _hashes = new ulong[size];
        _mask = size - 1;
        foreach (var v in _all)
        {
            if (!TryHash(v, out var h))
            {
                continue; // non-ASCII: only _all answers for it
            }
            var i = (int)h & _mask;
            while (_entries[i] is not null)
            {
                i = (i + 1) & _mask;
            }
            _entries[i] = v;
            _hashes[i] = h;
        }
    }

    public int Count => _all.Count;

    public static AsciiFoldedSet Empty { get; } = new([]);

    public bool Contains(string? value)
    {
        if (value is null)
        {
            return false;
        }
        if (!TryHash(value, out var h))
        {
            return _all.Contains(value);
        }
        var entries = _entries;
        var hashes = _hashes;
        for (var i = (int)h & _mask; entries[i] is { } entry; i = (i + 1) & _mask)
        {
            if (hashes[i] == h && (string.Equals(entry, value) || string.Equals(entry, value, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A 64-bit hash of the text with A-Z folded to a-z; false when the text is not all ASCII.</summary>
    internal static bool TryHash(string text, out ulong hash)
    {
        const ulong HighBits = 0xFF80_FF80_FF80_FF80UL; // any UTF-16 unit of 0x80 or more
        const ulong Lane80 = 0x0080_0080_0080_0080UL;
        const ulong K = 0x9E37_79B9_7F4A_7C15UL;
        ref var start = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(text.AsSpan()));
        var h = (ulong)text.Length * K;
        var n = text.Length;
        var i = 0;
        for (; i + 4 <= n; i += 4)
        {
            var w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i * 2));
            if ((w & HighBits) != 0)
            {
                hash = 0;
                return false;
            }
            // Per 16-bit lane (each < 0x80): bit 7 of w + (0x80 - 'A') says c >= 'A', of w + (0x80 - 'Z' - 1) says c > 'Z'.
            var upper = (w + 0x003F_003F_003F_003FUL) & ~(w + 0x0025_0025_0025_0025UL) & Lane80;
            h = (h ^ (w | (upper >> 2))) * K;
            h ^= h >> 32;
        }
        for (; i < n; i++)
        {
            var c = (uint)text[i];
            if (c >= 0x80)
            {
                hash = 0;
                return false;
            }
            if (c - 'A' <= 'Z' - 'A')
            {
                c |= 0x20;
            }
            h = (h ^ c) * K;
        }
        h ^= h >> 29;
        h *= 0xBF58_476D_1CE4_E5B9UL;
        h ^= h >> 32;
        hash = h;
        return true;
    }
}
