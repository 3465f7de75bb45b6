using CivicGrid.Kernel.Calendar;

namespace CivicGrid.Population;

/// <summary>
/// The district's rules for the rental service, from configuration section <c>CivicGrid:Population</c>.
/// Defaults are Xiaoshan's: report a move-in within 2 days, a move-out within 3 working days.
/// </summary>
internal sealed class PopulationOptions
{
    public const string Section = "CivicGrid:Population";

    /// <summary>Days a landlord has to report a tenant's move-in (counted from the move-in day).</summary>
    public int MoveInReportDays { get; set; } = 2;

    /// <summary>Working days a landlord has to report a move-out (counted from the lease end or the tenant's new declaration).</summary>
    public int MoveOutReportWorkingDays { get; set; } = 3;

    /// <summary>Months at a declared address after which a resident may apply for a residence permit.</summary>
    public int PermitEligibilityMonths { get; set; } = 6;

    /// <summary>Days before the yearly endorsement (签注) is due that the holder is reminded.</summary>
    public int EndorsementReminderDays { get; set; } = 30;

    /// <summary>Days after which an unchecked declaration or tenancy is overdue for the grid worker's visit.</summary>
    public int VisitDueDays { get; set; } = 7;

    /// <summary>Last day a move-in may be reported without being late.</summary>
    public DateOnly MoveInDeadline(DateOnly moveIn) => moveIn.AddDays(MoveInReportDays);

    /// <summary>
    /// Last day a move-out may be reported without being late: the <see cref="MoveOutReportWorkingDays"/>-th working day after it.
    /// Working days come from the platform's calendar (China's holidays and 调休, loaded per year by the district admin).
    /// </summary>
    public DateOnly MoveOutDeadline(DateOnly moveOut, WorkCalendar calendar) => calendar.AddWorkingDays(moveOut, MoveOutReportWorkingDays).LastDay;
}
