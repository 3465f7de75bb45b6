using CivicGrid.Kernel.Regions;
using Microsoft.AspNetCore.Identity;

namespace CivicGrid.Kernel.Accounts;

/// <summary>A staff account: one role, one region. The region path is copied here so scoping needs no join.</summary>
public sealed class StaffUser : IdentityUser, IRegionScoped
{
    public string DisplayName { get; set; } = "";
    public int RegionId { get; set; }
    public string RegionPath { get; set; } = "";
    public RegionLevel RegionLevel { get; set; }
    public string Role { get; set; } = "";
    public bool Disabled { get; set; }
    /// <summary>Set by an admin's password reset: the temporary password only lets the account choose a new one.</summary>
    public bool MustChangePassword { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>8 or more characters with at least three of: lower case, upper case, digits, symbols.</summary>
public sealed class StaffPasswordValidator : IPasswordValidator<StaffUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<StaffUser> manager, StaffUser user, string? password)
    {
        password ??= "";
        var kinds = (password.Any(char.IsLower) ? 1 : 0) + (password.Any(char.IsUpper) ? 1 : 0)
            + (password.Any(char.IsDigit) ? 1 : 0) + (password.Any(c => !char.IsLetterOrDigit(c)) ? 1 : 0);
        if (password.Length >= 8 && kinds >= 3) return Task.FromResult(IdentityResult.Success);
        return Task.FromResult(IdentityResult.Failed(new IdentityError
        {
            Code = "PasswordWeak",
            Description = Bilingual.Both("密码至少 8 位，且包含大写、小写、数字、符号中的三类",
                "Password needs 8+ characters with three of: upper case, lower case, digits, symbols"),
        }));
    }
}
