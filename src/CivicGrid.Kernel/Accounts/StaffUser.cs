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

/// <summary>
/// The platform's password rule (等保 2.0 level 3, GB/T 22239-2019 8.1.4.1): 8 or more characters with at least three of
/// lower case, upper case, digits and symbols; not one of the common passwords shipped with the platform
/// (Accounts/common-passwords.txt, compared without case); not containing the user name.
/// </summary>
public sealed class StaffPasswordValidator : IPasswordValidator<StaffUser>
{
    private static readonly Lazy<HashSet<string>> Common = new(() =>
    {
        using var stream = typeof(StaffPasswordValidator).Assembly.GetManifestResourceStream("CivicGrid.Kernel.common-passwords.txt")!;
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#')) set.Add(line.Trim());
        }
        return set;
    });

    public static bool IsCommon(string password) => Common.Value.Contains(password);

    public Task<IdentityResult> ValidateAsync(UserManager<StaffUser> manager, StaffUser user, string? password) =>
        Task.FromResult(Check(user.UserName, password) is { } error ? IdentityResult.Failed(error) : IdentityResult.Success);

    /// <summary>Null when the password is acceptable for this user name, else why not (both languages).</summary>
    public static IdentityError? Check(string? userName, string? password)
    {
        password ??= "";
        var kinds = (password.Any(char.IsLower) ? 1 : 0) + (password.Any(char.IsUpper) ? 1 : 0)
            + (password.Any(char.IsDigit) ? 1 : 0) + (password.Any(c => !char.IsLetterOrDigit(c)) ? 1 : 0);
        if (password.Length < 8 || kinds < 3)
        {
            return new IdentityError
            {
                Code = "PasswordWeak",
                Description = Bilingual.Both("密码至少 8 位，且包含大写、小写、数字、符号中的三类",
                    "Password needs 8+ characters with three of: upper case, lower case, digits, symbols"),
            };
        }
        if (IsCommon(password))
        {
            return new IdentityError
            {
                Code = "PasswordCommon",
                Description = Bilingual.Both("该密码过于常见，容易被猜中，请换一个", "This password is too common and easily guessed: choose another"),
            };
        }
        if (userName is { Length: >= 3 } && password.Contains(userName, StringComparison.OrdinalIgnoreCase))
        {
            return new IdentityError
            {
                Code = "PasswordHasUserName",
                Description = Bilingual.Both("密码不能包含用户名", "The password must not contain the user name"),
            };
        }
        return null;
    }
}
