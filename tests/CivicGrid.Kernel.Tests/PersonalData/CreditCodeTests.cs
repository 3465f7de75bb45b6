using CivicGrid.Kernel.PersonalData;

namespace CivicGrid.Kernel.Tests.PersonalData;

public class CreditCodeTests
{
    // Widely published sample code (an enterprise in Fuzhou, Fujian); both its GB 32100 check
    // character and its embedded GB 11714 organization-code check character are correct.
    private const string Example = "91350100M000100Y43";

    public static TheoryData<int> AllPositions()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < CreditCode.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void TryNormalize_PublishedExample_IsValid()
    {
        Assert.True(CreditCode.TryNormalize(Example, out string normalized, out string? error));
        Assert.Equal(Example, normalized);
        Assert.Null(error);
    }

    [Fact]
    public void TryNormalize_LowercaseWithWhitespace_NormalizesToUppercase()
    {
        Assert.True(CreditCode.TryNormalize("  91350100m000100y43 ", out string normalized, out _));
        Assert.Equal(Example, normalized);
    }

    [Fact]
    public void ComputeCheckCharacter_PublishedExample_ReturnsThree()
    {
        Assert.Equal('3', CreditCode.ComputeCheckCharacter("91350100M000100Y4"));
    }

    [Fact]
    public void ComputeCheckCharacter_SumDivisibleBy31_ReturnsZero()
    {
        // 31 - 0 = 31 has no character; the standard maps it to '0'.
        Assert.Equal('0', CreditCode.ComputeCheckCharacter("00000000000000000"));
    }

    [Fact]
    public void ComputeCheckCharacter_RandomPrefixes_MatchesReferenceAlgorithm()
    {
        var random = new Random(32100);
        for (int n = 0; n < 5000; n++)
        {
            char[] chars = new char[17];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = CreditCode.Alphabet[random.Next(CreditCode.Alphabet.Length)];
            }

            Assert.Equal(ReferenceCheckCharacter(chars), CreditCode.ComputeCheckCharacter(chars));
        }
    }

    [Theory]
    [MemberData(nameof(AllPositions))]
    public void TryNormalize_SingleCharacterChangeAtPosition_IsRejected(int position)
    {
        // MOD 31 detects every single substitution: 31 is prime and every weight is non-zero mod 31.
        string[] validCodes = [Example, CreditCode.Create("330109", 12_345_678), CreditCode.Create("110105", 7, 'Y', '1')];
        foreach (string valid in validCodes)
        {
            Assert.True(CreditCode.IsValid(valid));
            foreach (char replacement in CreditCode.Alphabet)
            {
                if (replacement == valid[position])
                {
                    continue;
                }

                char[] chars = valid.ToCharArray();
                chars[position] = replacement;
                Assert.False(CreditCode.IsValid(new string(chars)), $"position {position} -> {replacement}");
            }
        }
    }

    [Theory]
    [InlineData('I')]
    [InlineData('O')]
    [InlineData('Z')]
    [InlineData('S')]
    [InlineData('V')]
    [InlineData('中')]
    public void TryNormalize_CharacterOutsideAlphabet_IsRejected(char invalid)
    {
        string input = string.Concat(Example.AsSpan(0, 8), invalid.ToString(), Example.AsSpan(9));
        Assert.False(CreditCode.TryNormalize(input, out string normalized, out string? error));
        Assert.Equal(string.Empty, normalized);
        Assert.Contains("invalid characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("91350100M000100Y4")]
    [InlineData("91350100M000100Y431")]
    public void TryNormalize_WrongLengthOrEmpty_IsRejected(string? input)
    {
        Assert.False(CreditCode.TryNormalize(input, out _, out string? error));
        Assert.NotNull(error);
    }

    [Fact]
    public void TryNormalize_WrongCheckCharacter_NamesCheckCharacter()
    {
        Assert.False(CreditCode.TryNormalize("91350100M000100Y44", out _, out string? error));
        Assert.Contains("校验码", error, StringComparison.Ordinal);
        Assert.Contains("check character", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("91350100M000100Y44")]
    [InlineData("91350100M000100Y4")]
    [InlineData("91350100I000100Y43")]
    [InlineData("913501000000100Y43X")]
    public void TryNormalize_AnyError_NeverContainsInput(string input)
    {
        Assert.False(CreditCode.TryNormalize(input, out _, out string? error));
        CitizenIdTests.AssertSafeBilingual(error, input);
    }

    [Theory]
    [InlineData("")]
    [InlineData("91350100M000100Y")]
    [InlineData("91350100M000100Y43")]
    [InlineData("91350100I000100Y4")]
    [InlineData("91350100m000100y4")]
    public void ComputeCheckCharacter_InvalidInput_Throws(string input)
    {
        Assert.Throws<ArgumentException>(() => CreditCode.ComputeCheckCharacter(input));
    }

    [Fact]
    public void Create_ManySerials_ProducesDistinctValidCodes()
    {
        var codes = new HashSet<string>();
        for (int serial = 0; serial < 5000; serial++)
        {
            string code = CreditCode.Create("330109", serial * 19_997);
            Assert.True(CreditCode.IsValid(code), code);
            Assert.StartsWith("91330109", code, StringComparison.Ordinal);
            Assert.Equal(ReferenceOrganizationCheck(code.AsSpan(8, 8)), code[16]);
            Assert.True(codes.Add(code));
        }
    }

    [Fact]
    public void Create_CustomAuthorityAndType_AreUsed()
    {
        string code = CreditCode.Create("110105", 42, 'Y', '1');
        Assert.StartsWith("Y1110105", code, StringComparison.Ordinal);
        Assert.True(CreditCode.IsValid(code));
    }

    [Fact]
    public void Create_InvalidArguments_Throws()
    {
        Assert.Throws<ArgumentException>(() => CreditCode.Create("33010", 1));
        Assert.Throws<ArgumentException>(() => CreditCode.Create("33010A", 1));
        Assert.Throws<ArgumentException>(() => CreditCode.Create("330109", 1, 'I'));
        Assert.Throws<ArgumentException>(() => CreditCode.Create("330109", 1, '9', 'o'));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreditCode.Create("330109", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreditCode.Create("330109", 100_000_000));
    }

    [Fact]
    public void ReferenceOrganizationCheck_PublishedExample_Matches()
    {
        // Sanity check of the test's own GB 11714 reference against the published sample.
        Assert.Equal(Example[16], ReferenceOrganizationCheck(Example.AsSpan(8, 8)));
    }

    /// <summary>Straight from the text of GB 32100-2015: weights are 3^i mod 31, check = 31 - sum mod 31.</summary>
    private static char ReferenceCheckCharacter(ReadOnlySpan<char> first17)
    {
        long sum = 0;
        long weight = 1;
        for (int i = 0; i < 17; i++)
        {
            sum += CreditCode.Alphabet.IndexOf(first17[i]) * weight;
            weight = weight * 3 % 31;
        }

        long check = 31 - sum % 31;
        return check == 31 ? '0' : CreditCode.Alphabet[(int)check];
    }

    /// <summary>GB 11714 organization code check: letters count 10-35, check = 11 - sum mod 11 (10 = X, 11 = 0).</summary>
    private static char ReferenceOrganizationCheck(ReadOnlySpan<char> body8)
    {
        int[] weights = [3, 7, 9, 10, 5, 8, 4, 2];
        int sum = 0;
        for (int i = 0; i < 8; i++)
        {
            int value = char.IsAsciiDigit(body8[i]) ? body8[i] - '0' : body8[i] - 'A' + 10;
            sum += value * weights[i];
        }

        int check = 11 - sum % 11;
        return check switch { 10 => 'X', 11 => '0', _ => (char)('0' + check) };
    }

    [Fact]
    public void TryNormalize_FullWidthAndSeparated_IsFolded()
    {
        Assert.True(CreditCode.TryNormalize("９１３５０１００Ｍ０００１００Ｙ４３", out string normalized, out string? error), error);
        Assert.Equal("91350100M000100Y43", normalized);
        Assert.True(CreditCode.TryNormalize("9135 0100 M000 100Y 43", out normalized, out _));
        Assert.Equal("91350100M000100Y43", normalized);
    }

    [Theory]
    [InlineData('B', '1', "registration authority")] // no authority B in GB 32100
    [InlineData('9', '4', "organization type")] // market regulation registers 1, 2, 3 only
    [InlineData('5', '4', "organization type")] // civil affairs: 1, 2, 3, 9
    [InlineData('Y', '2', "organization type")]
    public void TryNormalize_AuthorityOrTypeNotInTheStandard_IsRejected(char authority, char type, string named)
    {
        // A code with a correct check character, so only the position rule can refuse it.
        var body = $"{authority}{type}350100M000100Y4";
        var code = body + CreditCode.ComputeCheckCharacter(body);
        Assert.False(CreditCode.TryNormalize(code, out _, out string? error));
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("990100")] // no province 99
    [InlineData("000000")]
    public void TryNormalize_AreaWithoutProvince_IsRejected(string area)
    {
        var body = $"91{area}M000100Y4";
        var code = body + CreditCode.ComputeCheckCharacter(body);
        Assert.False(CreditCode.TryNormalize(code, out _, out string? error));
        Assert.Contains("area code", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("91330109MA2H0XXXXX")]
    [InlineData("52330109MJ0000000X")]
    [InlineData("12100000400000000X")]
    public void TryNormalize_ValidPositions_PassThePositionRules(string template)
    {
        var body = template[..17].Replace('X', '0');
        var code = body + CreditCode.ComputeCheckCharacter(body);
        Assert.True(CreditCode.TryNormalize(code, out _, out string? error), error);
    }
}
