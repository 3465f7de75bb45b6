using CivicGrid.Kernel.Units;

namespace CivicGrid.Kernel.Tests.Units;

public class RosterTests
{
    private static readonly Dictionary<string, string> People = new() { ["wang"] = "u1", ["li"] = "u2", ["zhao"] = "u3" };
    private static readonly HashSet<string> Members = ["u1", "u2"];

    [Fact]
    public void ParseChinaTime_MidnightInChina_IsFourPmUtcTheDayBefore()
    {
        Assert.Equal(new DateTime(2026, 12, 6, 16, 0, 0, DateTimeKind.Utc), Roster.ParseChinaTime("2026-12-07 00:00"));
        Assert.Null(Roster.ParseChinaTime("07/12 noon"));
    }

    [Fact]
    public void Check_ValidRows_ReturnsShiftsInUtc()
    {
        var (shifts, errors) = Roster.Check([new ShiftRow(2, "wang", "2026-12-07 08:00", "2026-12-07 20:00"), new ShiftRow(3, "wang", "2026-12-07 20:00", "2026-12-08 08:00")],
            People, Members, []);
        Assert.Empty(errors);
        Assert.Equal(2, shifts.Count);
        Assert.Equal(new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc), shifts[0].StartUtc);
    }

    [Fact]
    public void Check_NonMemberAndUnknownAndOverlap_NamesEachRowAndReturnsNoShifts()
    {
        var (shifts, errors) = Roster.Check(
        [
            new ShiftRow(2, "li", "2026-12-07 08:00", "2026-12-07 20:00"),
            new ShiftRow(3, "li", "2026-12-07 12:00", "2026-12-07 22:00"),
            new ShiftRow(4, "zhao", "2026-12-07 08:00", "2026-12-07 20:00"),
            new ShiftRow(5, "nobody", "2026-12-07 08:00", "2026-12-07 20:00"),
        ], People, Members, []);
        Assert.Empty(shifts);
        Assert.Equal([3, 4, 5], errors.Select(e => e.Row).ToArray());
        Assert.Contains("不是本单位成员", errors[1].Message);
        Assert.Contains("查无此人", errors[2].Message);
    }

    [Fact]
    public void Check_OverlapsExistingShift_IsAnError()
    {
        var existing = new UnitShift { UserId = "u1", StartUtc = new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc), EndUtc = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc) };
        var (_, errors) = Roster.Check([new ShiftRow(2, "wang", "2026-12-07 19:00", "2026-12-07 23:00")], People, Members, [existing]);
        Assert.Equal(Roster.StartColumn, Assert.Single(errors).Column);
        // Touching is not overlapping: a shift may start when the last one ends (20:00 China time is 12:00 UTC).
        var (ok, none) = Roster.Check([new ShiftRow(2, "wang", "2026-12-07 20:00", "2026-12-07 23:00")], People, Members, [existing]);
        Assert.Empty(none);
        Assert.Single(ok);
    }
}
