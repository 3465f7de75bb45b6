using System.Text;

namespace CivicGrid.Streams;

/// <summary>
/// Binary snapshot of the engine's open state, so a restart still knows about the call that came
/// before the transfer. Rules are named by id and shape: state of a rule that changed is not restored.
/// </summary>
internal static class Snapshot
{
    private const string Magic = "CGSNAP";
    /// <summary>
    /// 2: dedup ids are XXH3-64 hashes (<see cref="DedupWindow.Hash"/>). 1: FNV-1a hashes; still read:
    /// its ids are kept aside (<see cref="DedupSet.RestoreLegacy"/>) so that redeliveries stay duplicates.
    /// </summary>
    private const int Version = 2;

    public static void Write(Stream stream, IReadOnlyList<Shard> shards, DedupSet dedup, DateTimeOffset now)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write(now.UtcTicks);
        foreach (var shard in shards)
        {
            // One shard at a time: the others keep processing events meanwhile.
            lock (shard.Gate)
            {
                foreach (var s in shard.Subjects)
                {
                    w.Write((byte)1);
                    WriteSubject(w, s);
                }
            }
        }
        var ids = dedup.Items();
        w.Write((byte)2);
        w.Write(ids.Length);
        foreach (var id in ids)
        {
            w.Write(id);
        }
        w.Write((byte)0);
    }

    private static void WriteSubject(BinaryWriter w, SubjectState s)
    {
        w.Write(s.Subject);
        w.Write(s.LastSeenTicks);
        w.Write(s.Score);
        w.Write(s.ScoreTicks);
        var states = new List<RuleState>();
        for (var st = s.States; st is not null; st = st.Next)
        {
            states.Add(st);
        }
        w.Write(states.Count);
        foreach (var st in states)
        {
            w.Write(RuleStateKeys.NameOf(st.Key));
            w.Write(st.LastFiredTicks);
            switch (st)
            {
                case WindowState win:
                    w.Write((byte)1);
                    w.Write(win.Count);
                    for (var i = 0; i < win.Count; i++)
                    {
                        w.Write(win[i].Ticks);
                        w.Write(win[i].Value);
                        WriteEvent(w, win[i].Event);
                    }
                    break;
                case SequenceState seq:
                    w.Write((byte)2);
                    w.Write(seq.Partials.Count);
                    foreach (var p in seq.Partials)
                    {
                        w.Write(p.Next);
                        w.Write(p.StartTicks);
                        w.Write(p.LastTicks);
                        w.Write(p.DeadlineTicks);
                        w.Write(p.Bound.Length);
                        foreach (var e in p.Bound)
                        {
                            w.Write(e is not null);
                            if (e is not null)
                            {
                                WriteEvent(w, e);
                            }
                        }
                    }
                    break;
                default:
                    w.Write((byte)0);
                    break;
            }
        }
    }

    private static void WriteEvent(BinaryWriter w, StreamEvent e)
    {
        w.Write(e.Id);
        w.Write(e.Subject);
        w.Write(e.Kind);
        w.Write(e.Time.UtcTicks);
        w.Write((short)e.Time.Offset.TotalMinutes);
        w.Write(e.Attributes.Count);
        foreach (var a in e.Attributes)
        {
            w.Write(a.Name);
            w.Write(a.Text);
            w.Write(a.Number);
        }
    }

    public static void Read(Stream stream, StreamEngine engine, RulePack rules)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (r.ReadString() != Magic)
        {
            throw new InvalidDataException("Not a CivicGrid.Streams snapshot.");
        }
        var version = r.ReadInt32();
        if (version is not (1 or Version))
        {
            throw new InvalidDataException($"CivicGrid.Streams snapshot version {version} is not supported (this engine reads 1 and {Version}); it was written by a newer engine.");
        }
        r.ReadInt64(); // written at
        var keysByName = rules.Rules.ToDictionary(x => RuleStateKeys.NameOf(x.StateKey), x => x.StateKey, StringComparer.Ordinal);
        while (true)
        {
            switch (r.ReadByte())
            {
                case 0:
                    return;
                case 1:
                    var s = ReadSubject(r, keysByName);
                    var shard = engine.ShardOf(s.Subject);
                    lock (shard.Gate)
                    {
                        shard.Restore(s);
                    }
                    break;
                case 2:
                    var count = r.ReadInt32();
                    var legacy = new List<ulong>(version == 1 ? count : 0);
                    for (var i = 0; i < count; i++)
                    {
                        var hash = r.ReadUInt64();
                        if (version == 1)
                        {
                            legacy.Add(hash);
                        }
                        else
                        {
                            engine.Dedup.Add(hash);
                        }
                    }
                    engine.Dedup.RestoreLegacy(legacy, engine.Options.DedupWindow);
                    break;
                default:
                    throw new InvalidDataException("Corrupt snapshot.");
            }
        }
    }

    private static SubjectState ReadSubject(BinaryReader r, Dictionary<string, int> keysByName)
    {
        var s = new SubjectState(r.ReadString())
        {
            LastSeenTicks = r.ReadInt64(),
            Score = r.ReadDouble(),
            ScoreTicks = r.ReadInt64(),
        };
        var count = r.ReadInt32();
        var restored = new List<RuleState>();
        for (var i = 0; i < count; i++)
        {
            var name = r.ReadString();
            var lastFired = r.ReadInt64();
            var type = r.ReadByte();
            var known = keysByName.TryGetValue(name, out var key);
            RuleState st = type switch
            {
                1 => new WindowState(key),
                2 => new SequenceState(key),
                _ => new RuleState(key),
            };
            st.LastFiredTicks = lastFired;
            if (st is WindowState win)
            {
                var n = r.ReadInt32();
                for (var j = 0; j < n; j++)
                {
                    var ticks = r.ReadInt64();
                    var value = r.ReadDouble();
                    win.Add(ticks, value, ReadEvent(r), int.MaxValue);
                }
            }
            else if (st is SequenceState seq)
            {
                var n = r.ReadInt32();
                for (var j = 0; j < n; j++)
                {
                    var p = new Partial
                    {
                        Next = r.ReadInt32(),
                        StartTicks = r.ReadInt64(),
                        LastTicks = r.ReadInt64(),
                        DeadlineTicks = r.ReadInt64(),
                        Bound = new StreamEvent?[r.ReadInt32()],
                    };
                    for (var k = 0; k < p.Bound.Length; k++)
                    {
                        p.Bound[k] = r.ReadBoolean() ? ReadEvent(r) : null;
                    }
                    seq.Partials.Add(p);
                }
            }
            if (known)
            {
                restored.Add(st);
            }
        }
        for (var i = restored.Count - 1; i >= 0; i--)
        {
            s.Add(restored[i]);
        }
        return s;
    }

    private static StreamEvent ReadEvent(BinaryReader r)
    {
        var id = r.ReadString();
        var subject = r.ReadString();
        var kind = r.ReadString();
        var ticks = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        var attrs = new EventField[r.ReadInt32()];
        for (var i = 0; i < attrs.Length; i++)
        {
            attrs[i] = new EventField(AttributeNames.Intern(r.ReadString()), r.ReadString(), r.ReadDouble());
        }
        return new StreamEvent(id, subject, kind, new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(offset), attrs);
    }
}
