using CivicGrid.Kernel.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Features;

/// <summary>The messages Population sends, each a template the district admin may reword (and map to its SMS template code).</summary>
internal static class PopulationMessages
{
    public const string LateMoveIn = "population.late_move_in";
    public const string LateMoveOut = "population.late_move_out";
    public const string PermitIssued = "population.permit_issued";
    public const string EndorsementDue = "population.endorsement_due";

    public static void AddPopulationMessages(this IServiceCollection services)
    {
        // Late reports and permit notices are duties the rules set (出租房屋管理, 居住证暂行条例): essential, sent even to residents
        // who stopped the platform's other messages.
        services.AddMessageKind(new MessageKind(LateMoveIn, "population", "租客入住登记逾期提醒", "Late move-in report",
            "【萧山基层智治】您的出租房（{address}）租客{tenant}于{since}入住，应在{deadline}前登记，现已逾期，请尽快登录房东页面登记租住信息。",
            "SMS_POP_LATE_IN", Essential: true, ["address", "tenant", "since", "deadline"]));
        services.AddMessageKind(new MessageKind(LateMoveOut, "population", "租客退租登记逾期提醒", "Late move-out report",
            "【萧山基层智治】您的出租房（{address}）租客{tenant}自{since}起已租期届满或迁居他处，退租应在{deadline}前登记，现已逾期，请尽快登录房东页面登记退租。",
            "SMS_POP_LATE_OUT", Essential: true, ["address", "tenant", "since", "deadline"]));
        services.AddMessageKind(new MessageKind(PermitIssued, "population", "居住证签发通知", "Residence permit issued",
            "【居住证】{name}，您的居住证已签发（证号 {number}），请于 {due} 前办理年度签注。",
            "SMS_POP_PERMIT", Essential: true, ["name", "number", "due"]));
        services.AddMessageKind(new MessageKind(EndorsementDue, "population", "居住证签注提醒", "Permit endorsement due",
            "【居住证签注提醒】{name}，您的居住证（{number}）须于 {due} 前办理年度签注，请携带身份证到社区或派出所办理。",
            "SMS_POP_ENDORSE", Essential: true, ["name", "number", "due"]));
    }
}
