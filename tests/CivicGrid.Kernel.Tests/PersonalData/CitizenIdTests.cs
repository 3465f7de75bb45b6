using System.Text.RegularExpressions;
using CivicGrid.Kernel.PersonalData;

namespace CivicGrid.Kernel.Tests.PersonalData;

public class CitizenIdTests
{
    // Published example from GB 11643-1999 (Beijing Chaoyang, born 1949-12-31, check character X).
    private const string Example = "11010519491231002X";

    // A fixed "today" keeps date-boundary tests independent of the machine clock.
    private static readonly DateOnly Today = new(2025, 6, 1);

    public static TheoryData<int> AllPositions()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < CitizenId.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void TryNormalize_PublishedExample_IsValid()
    {
        Assert.True(CitizenId.TryNormalize(Example, out string normalized, out string? error, Today));
        Assert.Equal(Example, normalized);
        Assert.Null(error);
    }

    [Fact]
    public void TryNormalize_LowercaseX_NormalizesToUpperX()
    {
        Assert.True(CitizenId.TryNormalize("11010519491231002x", out string normalized, out _, Today));
        Assert.Equal(Example, normalized);
    }

    [Fact]
    public void TryNormalize_SurroundingWhitespace_IsTrimmed()
    {
        Assert.True(CitizenId.TryNormalize("  11010519491231002x\t", out string normalized, out _, Today));
        Assert.Equal(Example, normalized);
    }

    [Fact]
    public void IsValid_WithoutToday_UsesCurrentDate()
    {
        Assert.True(CitizenId.IsValid(Example));
        Assert.False(CitizenId.IsValid(Build("110105", "21000101", "123")));
    }

    [Theory]
    [MemberData(nameof(AllPositions))]
    public void TryNormalize_SingleCharacterChangeAtPosition_IsRejected(int position)
    {
        // MOD 11-2 detects every single substitution because 11 is prime and no weight is 0 mod 11.
        string[] validNumbers = [Example, CitizenId.Create("330109", new DateOnly(1990, 1, 1), 123), CitizenId.Create("650102", new DateOnly(2008, 2, 29), 8)];
        foreach (string valid in validNumbers)
        {
            Assert.True(CitizenId.IsValid(valid, Today));
            string replacements = position == 17 ? "0123456789X" : "0123456789";
            foreach (char replacement in replacements)
            {
                if (replacement == valid[position])
                {
                    continue;
                }

                char[] chars = valid.ToCharArray();
                chars[position] = replacement;
                Assert.False(CitizenId.IsValid(new string(chars), Today), $"position {position} -> {replacement}");
            }
        }
    }

    [Fact]
    public void TryNormalize_FifteenDigitNumber_UpgradesToEighteen()
    {
        Assert.True(CitizenId.TryNormalize("110105491231002", out string normalized, out string? error, Today));
        Assert.Equal(Example, normalized);
        Assert.Null(error);
    }

    [Fact]
    public void TryNormalize_FifteenDigitWithLetter_IsRejected()
    {
        Assert.False(CitizenId.TryNormalize("11010549123100X", out string normalized, out string? error, Today));
        Assert.Equal(string.Empty, normalized);
        Assert.Contains("digits", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_FifteenDigitWithInvalidDate_IsRejected()
    {
        Assert.False(CitizenId.TryNormalize("110105490230002", out _, out string? error, Today));
        Assert.Contains("birth date", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("19900230")] // February 30
    [InlineData("19900431")] // April has 30 days
    [InlineData("19001301")] // month 13
    [InlineData("19900100")] // day 0
    [InlineData("19000229")] // 1900 is not a leap year
    [InlineData("21000101")] // after "today"
    [InlineData("20250602")] // tomorrow
    [InlineData("18991231")] // before 1900
    [InlineData("00000000")]
    public void TryNormalize_InvalidBirthDate_IsRejected(string birthDate)
    {
        // The check character is correct, so only the date can be the reason for rejection.
        Assert.False(CitizenId.TryNormalize(Build("110105", birthDate, "123"), out _, out string? error, Today));
        Assert.Contains("出生日期", error, StringComparison.Ordinal);
        Assert.Contains("birth date", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("20000229")] // 2000 is a leap year
    [InlineData("20250601")] // born today
    [InlineData("19000101")] // earliest accepted
    public void TryNormalize_BoundaryBirthDate_IsValid(string birthDate)
    {
        Assert.True(CitizenId.TryNormalize(Build("110105", birthDate, "123"), out _, out _, Today));
    }

    [Theory]
    [InlineData("000000")]
    [InlineData("100000")]
    [InlineData("160000")]
    [InlineData("900000")]
    [InlineData("990000")]
    [InlineData("470000")]
    public void TryNormalize_UnknownProvince_IsRejected(string area)
    {
        Assert.False(CitizenId.TryNormalize(Build(area, "19900101", "123"), out _, out string? error, Today));
        Assert.Contains("region", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("110000")]
    [InlineData("330109")]
    [InlineData("650102")]
    [InlineData("710000")]
    [InlineData("810000")]
    [InlineData("820000")]
    [InlineData("830000")]
    [InlineData("911000")]
    public void TryNormalize_KnownProvince_IsValid(string area)
    {
        Assert.True(CitizenId.IsValid(Build(area, "19900101", "123"), Today));
    }

    [Fact]
    public void TryNormalize_WrongCheckCharacter_NamesCheckCharacter()
    {
        Assert.False(CitizenId.TryNormalize("110105194912310021", out _, out string? error, Today));
        Assert.Contains("校验码", error, StringComparison.Ordinal);
        Assert.Contains("check character", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("1101051949123100")] // 16
    [InlineData("11010519491231002")] // 17
    [InlineData("11010519491231002X1")] // 19
    public void TryNormalize_WrongLengthOrEmpty_IsRejected(string? input)
    {
        Assert.False(CitizenId.TryNormalize(input, out string normalized, out string? error, Today));
        Assert.Equal(string.Empty, normalized);
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("1101051949123100XX")]
    [InlineData("X10105194912310029")]
    [InlineData("11010519491231002Y")]
    [InlineData("1101051949 231002X")]
    [InlineData("110105-9491231002X")]
    public void TryNormalize_InvalidCharacters_IsRejected(string input)
    {
        Assert.False(CitizenId.TryNormalize(input, out _, out string? error, Today));
        Assert.Contains("characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("11010519491231002X1")]
    [InlineData("110105194912310021")]
    [InlineData("110105199002300021")]
    [InlineData("990105194912310021")]
    [InlineData("11010519491231002Y")]
    [InlineData("110105491231A02")]
    [InlineData("1101051949123100")]
    [InlineData("330109210001011234")]
    [InlineData("  33010919900101123  ")]
    public void TryNormalize_AnyError_NeverContainsInput(string input)
    {
        Assert.False(CitizenId.TryNormalize(input, out _, out string? error, Today));
        AssertSafeBilingual(error, input);
    }

    [Fact]
    public void ComputeCheckCharacter_PublishedExamples_MatchStandard()
    {
        Assert.Equal('X', CitizenId.ComputeCheckCharacter("11010519491231002"));
        // The other GB 11643-1999 example; born 1880, so it is (deliberately) outside the accepted range.
        Assert.Equal('4', CitizenId.ComputeCheckCharacter("44052418800101001"));
        Assert.False(CitizenId.TryNormalize("440524188001010014", out _, out string? error, Today));
        Assert.Contains("birth date", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputeCheckCharacter_AllCheckValues_AreReachable()
    {
        var seen = new HashSet<char>();
        for (int sequence = 0; sequence < 100; sequence++)
        {
            string number = CitizenId.Create("330109", new DateOnly(1990, 1, 1), sequence);
            seen.Add(number[17]);
        }

        Assert.Equal("0123456789X", string.Concat(seen.Order()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1101051949123100")]
    [InlineData("110105194912310021")]
    [InlineData("1101051949123100X")]
    public void ComputeCheckCharacter_NotSeventeenDigits_Throws(string input)
    {
        var exception = Assert.Throws<ArgumentException>(() => CitizenId.ComputeCheckCharacter(input));
        if (input.Length > 0)
        {
            Assert.DoesNotContain(input, exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Create_VariousInputs_ProducesValidNumbersWithEncodedFields()
    {
        var random = new Random(20250601);
        for (int i = 0; i < 2000; i++)
        {
            var birthDate = new DateOnly(1900, 1, 1).AddDays(random.Next(0, 45_000));
            int sequence = random.Next(0, 1000);
            string number = CitizenId.Create("330109", birthDate, sequence);

            Assert.True(CitizenId.TryNormalize(number, out string normalized, out string? error, Today), error);
            Assert.Equal(number, normalized);
            Assert.Equal(birthDate, CitizenId.BirthDate(number));
            Assert.Equal(sequence, int.Parse(number.AsSpan(14, 3)));
        }
    }

    [Fact]
    public void Create_OddSequence_IsMaleAndEvenIsFemale()
    {
        Assert.Equal(1, (CitizenId.Create("330109", new DateOnly(1990, 1, 1), 123)[16] - '0') % 2);
        Assert.Equal(0, (CitizenId.Create("330109", new DateOnly(1990, 1, 1), 124)[16] - '0') % 2);
    }

    [Fact]
    public void Create_InvalidArguments_Throws()
    {
        var date = new DateOnly(1990, 1, 1);
        Assert.Throws<ArgumentException>(() => CitizenId.Create("33010", date, 1));
        Assert.Throws<ArgumentException>(() => CitizenId.Create("33010X", date, 1));
        Assert.Throws<ArgumentException>(() => CitizenId.Create("990000", date, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CitizenId.Create("330109", new DateOnly(1899, 12, 31), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CitizenId.Create("330109", date, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CitizenId.Create("330109", date, 1000));
    }

    [Fact]
    public void BirthDate_NormalizedNumber_ReturnsDate()
    {
        Assert.Equal(new DateOnly(1949, 12, 31), CitizenId.BirthDate(Example));
    }

    [Theory]
    [InlineData("110105491231002")]
    [InlineData("110105199002300021")]
    [InlineData("1101051949AB31002X")]
    public void BirthDate_NotNormalized_ThrowsFormatExceptionWithoutValue(string input)
    {
        var exception = Assert.Throws<FormatException>(() => CitizenId.BirthDate(input));
        Assert.DoesNotContain(input, exception.Message, StringComparison.Ordinal);
    }

    /// <summary>Builds a number with the given parts and a correct check character.</summary>
    internal static string Build(string area, string birthDate, string sequence)
    {
        string first17 = area + birthDate + sequence;
        return first17 + CitizenId.ComputeCheckCharacter(first17);
    }

    /// <summary>An error is bilingual and reveals neither the input nor any long digit run from it.</summary>
    internal static void AssertSafeBilingual(string? error, string input)
    {
        Assert.NotNull(error);
        Assert.Contains(" / ", error, StringComparison.Ordinal);
        Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", error);
        Assert.DoesNotContain(input, error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(input.Trim(), error, StringComparison.OrdinalIgnoreCase);
        // Messages may mention "18", "17" or "1900"; anything longer would be a fragment of the value.
        Assert.DoesNotMatch(new Regex(@"\d{5,}"), error);
    }

    [Theory]
    [InlineData("1101051949123100２X")] // one full-width digit
    [InlineData("１１０１０５１９４９１２３１００２ｘ")] // all full-width, lower-case x
    [InlineData("110105 19491231 002X")] // pasted with spaces
    [InlineData("110105-19491231-002X")]
    public void TryNormalize_FullWidthOrSeparated_IsFoldedToTheSameNumber(string input)
    {
        Assert.True(CitizenId.TryNormalize(input, out string normalized, out string? error, Today), error);
        Assert.Equal("11010519491231002X", normalized);
    }
}
