using CivicGrid.Kernel.Web;

namespace CivicGrid.Kernel.PersonalData;

/// <summary>
/// Why someone sees personal data in full: a purpose chosen from a list and a reason in words, so that the audit log
/// can be read and counted (PIPL art. 6: a clear, reasonable purpose; 等保 audit). Every unmask and every unmasked export
/// takes both; the audit line holds "[purpose] reason".
/// </summary>
public static class UnmaskReasons
{
    public const int MinLength = 6;
    public const int MaxLength = 200;

    public sealed record Purpose(string Code, string Zh, string En)
    {
        public string Title => Bilingual.Pick(Zh, En);
    }

    public static readonly IReadOnlyList<Purpose> Purposes =
    [
        new("verify_identity", "核实身份", "verify identity"),
        new("contact", "联系本人", "contact the person"),
        new("antifraud", "反诈预警劝阻", "anti-fraud dissuasion"),
        new("mediation", "矛盾纠纷调解", "dispute mediation"),
        new("service", "为本人办理业务", "a service the person asked for"),
        new("lawful_request", "依法协查", "a lawful request for assistance"),
    ];

    public static Purpose? Find(string? code) => Purposes.FirstOrDefault(p => p.Code == code?.Trim());

    /// <summary>
    /// Checks purpose and reason; on success <paramref name="audited"/> is the text for the audit line. Errors name the
    /// fields "purpose" and "reason" in both languages.
    /// </summary>
    public static bool TryCheck(string? purpose, string? reason, FieldErrors errors, out string audited)
    {
        audited = "";
        var p = Find(purpose);
        if (p is null)
        {
            errors.Add("purpose", $"请选择查看目的：{string.Join("、", Purposes.Select(x => x.Zh))}",
                $"choose a purpose: {string.Join(", ", Purposes.Select(x => x.Code))}");
        }
        var text = reason?.Trim();
        if (text is null || text.Length is < MinLength or > MaxLength || text.Distinct().Count() < 3)
        {
            errors.Add("reason", $"请写明具体理由（{MinLength}-{MaxLength} 字，如事由、对象、依据）",
                $"give a specific reason of {MinLength}-{MaxLength} characters (what for, about whom, on what basis)");
        }
        if (p is null || errors.Has("reason")) return false;
        audited = $"[{p.Zh}] {text}";
        return true;
    }
}
