using System.Numerics;

namespace CivicGrid.Streams;

/// <summary>
/// The rules of a <see cref="RulePack"/> that an event satisfies, in pack order, as returned by
/// <see cref="RulePack.Match"/>. A struct that evaluates 64 rules at a time: the first 64 when the
/// enumeration starts (GetEnumerator), each further compiled mask function when the enumeration reaches
/// its rules. Enumerate it once, with foreach.
/// </summary>
public readonly struct MatchedRules
{
    private readonly KindPlan? _plan;
    private readonly EventField[] _fields;
    private readonly ulong[] _keep;
    private readonly ulong[] _add;

    /// <param name="keep">Per 64 rules: which bits of the compiled mask to report.</param>
    /// <param name="add">Per 64 rules: bits to report whether or not the mask has them.</param>
    internal MatchedRules(KindPlan plan, EventField[] fields, ulong[] keep, ulong[] add)
    {
        _plan = plan;
        _fields = fields;
        _keep = keep;
        _add = add;
    }

    public Enumerator GetEnumerator() => new(_plan, _fields, _keep, _add);

    /// <summary>Evaluates and counts the rules (for tests and diagnostics; foreach does not need it).</summary>
    public int Count()
    {
        var n = 0;
        foreach (var _ in this)
        {
            n++;
        }
        return n;
    }

    public struct Enumerator
    {
        private readonly KindPlan? _plan;
        private readonly EventField[] _fields;
        private readonly ulong[] _keep;
        private readonly ulong[] _add;
        private int _chunk;
        private ulong _bits;
        private Rule? _current;

        internal Enumerator(KindPlan? plan, EventField[] fields, ulong[] keep, ulong[] add)
        {
            _plan = plan;
            _fields = fields;
            _keep = keep;
            _add = add;
            _chunk = 0;
            _bits = plan is null ? 0 : (plan.Masks[0](fields) & keep[0]) | add[0];
            _current = null;
        }

        public readonly Rule Current => _current!;

        public bool MoveNext()
        {
            while (_bits == 0)
            {
                if (_plan is null || ++_chunk >= _plan.Masks.Length)
                {
                    return false;
                }
                _bits = (_plan.Masks[_chunk](_fields) & _keep[_chunk]) | _add[_chunk];
            }
            var i = BitOperations.TrailingZeroCount(_bits);
            _bits &= _bits - 1;
            _current = _plan!.Rules[(_chunk << 6) + i];
            return true;
        }
    }
}
