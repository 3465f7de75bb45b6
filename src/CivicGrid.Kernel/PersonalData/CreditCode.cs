namespace CivicGrid.Kernel.PersonalData;

/// <summary>
/// Unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from a 31-character
/// alphabet (digits and upper-case letters without I, O, Z, S, V, which are easily confused with
/// 1, 0, 2, 5 and U), the last being a MOD 31 check character over the first 17.
/// </summary>
/// <remarks>
/// Layout: registration authority (1), organization type (1), administrative area code (6),
/// organization code per GB 11714 (9), check character (1). The alphabet, the registration authority and
/// the organization type it allows (GB 32100-2015 table 1), the province of the area code and the overall
/// check character are validated; the embedded organization-code check is not, as the standard's check
/// character already catches every single-character error.
/// </remarks>
public static class CreditCode
{
    /// <summary>Length of a code.</summary>
    public const int Length = 18;

    /// <summary>The code alphabet; a character's index is its numeric value.</summary>
    public const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    // Weight of position i is 3^i mod 31.
    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    // GB 11714 organization code: weights of the 8 body characters, check = 11 - sum mod 11.
    private static readonly int[] OrganizationCodeWeights = [3, 7, 9, 10, 5, 8, 4, 2];

    /// <summary>Folds full-width characters, drops spaces and hyphens, upper-cases and validates a code.</summary>
    /// <param name="input">The raw value as typed or imported.</param>
    /// <param name="normalized">The 18-character code when valid, otherwise an empty string.</param>
    /// <param name="error">A bilingual message naming what is wrong; never contains the input.</param>
    public static bool TryNormalize(string? input, out string normalized, out string? error)
    {
        normalized = string.Empty;
        ReadOnlySpan<char> value = Halfwidth.FoldIdentifier(input.AsSpan());
        if (value.IsEmpty)
        {
            error = "统一社会信用代码为空 / Unified social credit code is empty.";
            return false;
        }

        if (value.Length != Length)
        {
            error = "统一社会信用代码应为18位 / Unified social credit code must be 18 characters.";
            return false;
        }

        Span<char> buffer = stackalloc char[Length];
        value.ToUpperInvariant(buffer);
        foreach (char c in buffer)
        {
            if (ValueOf(c) < 0)
            {
                error = "统一社会信用代码含有非法字符(不含I、O、Z、S、V) / Unified social credit code contains invalid characters (I, O, Z, S, V are not used).";
                return false;
            }
        }

        if (!OrganizationTypes.TryGetValue(buffer[0], out var types))
        {
            error = "统一社会信用代码第1位（登记管理部门代码）无效 / Unified social credit code: the registration authority (1st character) is not valid.";
            return false;
        }

        if (!types.Contains(buffer[1]))
        {
            error = "统一社会信用代码第2位（机构类别代码）与登记管理部门不符 / Unified social credit code: the organization type (2nd character) does not belong to its registration authority.";
            return false;
        }

        if (!IsKnownArea(buffer.Slice(2, 6)))
        {
            error = "统一社会信用代码第3-8位（登记管理机关行政区划码）无效 / Unified social credit code: the area code (characters 3-8) is not valid.";
            return false;
        }

        if (ComputeCheckCharacterUnchecked(buffer[..17]) != buffer[17])
        {
            error = "统一社会信用代码校验码错误 / Unified social credit code has a wrong check character.";
            return false;
        }

        normalized = new string(buffer);
        error = null;
        return true;
    }

    /// <summary>True when <paramref name="input"/> normalizes to a valid code.</summary>
    public static bool IsValid(string? input) => TryNormalize(input, out _, out _);

    /// <summary>Computes the check character for the first 17 (upper-case) characters.</summary>
    /// <exception cref="ArgumentException">Not exactly 17 characters of <see cref="Alphabet"/>.</exception>
    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length != Length - 1)
        {
            throw new ArgumentException("需要17位字符 / Exactly 17 characters are required.", nameof(first17));
        }

        foreach (char c in first17)
        {
            if (ValueOf(c) < 0)
            {
                throw new ArgumentException("含有非法字符 / Contains characters outside the code alphabet.", nameof(first17));
            }
        }

        return ComputeCheckCharacterUnchecked(first17);
    }

    /// <summary>
    /// Builds a valid synthetic code for demo data and tests: registration authority and organization
    /// type (default "91", an enterprise registered with market regulation), the area code, an
    /// 8-digit serial with its GB 11714 check character, and the overall check character.
    /// </summary>
    /// <param name="areaCode6">6-digit administrative area code.</param>
    /// <param name="serial">0 to 99,999,999; distinct serials give distinct codes within an area.</param>
    /// <param name="registrationAuthority">First character, from <see cref="Alphabet"/>.</param>
    /// <param name="organizationType">Second character, from <see cref="Alphabet"/>.</param>
    public static string Create(string areaCode6, int serial, char registrationAuthority = '9', char organizationType = '1')
    {
        ArgumentNullException.ThrowIfNull(areaCode6);
        if (areaCode6.Length != 6 || areaCode6.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            throw new ArgumentException("地区码须为6位数字 / The area code must be 6 digits.", nameof(areaCode6));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(serial);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(serial, 99_999_999);
        if (ValueOf(registrationAuthority) < 0 || ValueOf(organizationType) < 0)
        {
            throw new ArgumentException("登记管理部门及机构类别代码须在代码字符集内 / Registration authority and organization type must be code characters.");
        }

        return string.Create(Length, (areaCode6, serial, registrationAuthority, organizationType), static (span, state) =>
        {
            span[0] = state.registrationAuthority;
            span[1] = state.organizationType;
            state.areaCode6.AsSpan().CopyTo(span[2..]);
            int remaining = state.serial;
            for (int i = 15; i >= 8; i--)
            {
                span[i] = (char)('0' + remaining % 10);
                remaining /= 10;
            }

            // The embedded organization code carries its own GB 11714 check character, so synthetic
            // codes also pass stricter validators used by other systems.
            int sum = 0;
            for (int i = 0; i < OrganizationCodeWeights.Length; i++)
            {
                sum += (span[8 + i] - '0') * OrganizationCodeWeights[i];
            }

            int check = 11 - sum % 11;
            span[16] = check switch { 10 => 'X', 11 => '0', _ => (char)('0' + check) };
            span[17] = ComputeCheckCharacterUnchecked(span[..17]);
        });
    }

    private static char ComputeCheckCharacterUnchecked(ReadOnlySpan<char> first17)
    {
        int sum = 0;
        for (int i = 0; i < Weights.Length; i++)
        {
            sum += ValueOf(first17[i]) * Weights[i];
        }

        // 31 - 0 would be 31, which has no character: the standard maps it to '0'.
        return Alphabet[(31 - sum % 31) % 31];
    }

    // GB 32100-2015 table 1: registration authority → the organization types it registers.
    private static readonly Dictionary<char, string> OrganizationTypes = new()
    {
        ['1'] = "1239", // 机构编制: 机关, 事业单位, 群众团体, 其他
        ['2'] = "19", // 外交
        ['3'] = "123459", // 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
        ['4'] = "19", // 文化
        ['5'] = "1239", // 民政: 社会团体, 民办非企业单位, 基金会, 其他
        ['6'] = "129", // 旅游
        ['7'] = "129", // 宗教
        ['8'] = "19", // 工会
        ['9'] = "123", // 工商（市场监管）: 企业, 个体工商户, 农民专业合作社
        ['A'] = "19", // 中央军委改革和编制办公室
        ['N'] = "1239", // 农业: 组级, 村级, 乡镇级集体经济组织, 其他
        ['Y'] = "1", // 其他
    };

    // Six digits whose first two are a province-level code of GB/T 2260, or 100000 for bodies registered nationally.
    private static bool IsKnownArea(ReadOnlySpan<char> area)
    {
        if (area.ContainsAnyExceptInRange('0', '9')) return false;
        if (area.SequenceEqual("100000")) return true;
        var province = (area[0] - '0') * 10 + (area[1] - '0');
        return province is (>= 11 and <= 15) or (>= 21 and <= 23) or (>= 31 and <= 37) or (>= 41 and <= 46) or (>= 50 and <= 54)
            or (>= 61 and <= 65) or 71 or 81 or 82;
    }

    private static int ValueOf(char c) => c < 128 ? Alphabet.IndexOf(c, StringComparison.Ordinal) : -1;
}
