using CivicGrid.Kernel.PersonalData;

namespace CivicGrid.Kernel.Tests.PersonalData;

public class MobileNumberTests
{
    [Theory]
    [InlineData("+86 138-1234-5678")]
    [InlineData("13812345678")]
    [InlineData(" 13812345678 ")]
    [InlineData("138 1234 5678")]
    [InlineData("138-1234-5678")]
    [InlineData("+8613812345678")]
    [InlineData("+86-138-1234-5678")]
    [InlineData("8613812345678")]
    [InlineData("86 138 1234 5678")]
    [InlineData("008613812345678")]
    [InlineData("0086 138 1234 5678")]
    public void TryNormalize_AcceptedFormats_ReturnsElevenDigits(string input)
    {
        Assert.True(MobileNumber.TryNormalize(input, out string normalized, out string? error));
        Assert.Equal("13812345678", normalized);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("13012345678")]
    [InlineData("14512345678")]
    [InlineData("15912345678")]
    [InlineData("16612345678")]
    [InlineData("17712345678")]
    [InlineData("18812345678")]
    [InlineData("19912345678")]
    public void IsValid_SecondDigitThreeToNine_IsValid(string input)
    {
        Assert.True(MobileNumber.IsValid(input));
    }

    [Fact]
    public void TryNormalize_SecondDigitTwo_IsRejected()
    {
        Assert.False(MobileNumber.TryNormalize("12345678901", out string normalized, out string? error));
        Assert.Equal(string.Empty, normalized);
        Assert.Contains("start with 1", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1381234567")] // 10 digits
    [InlineData("138123456789")] // 12 digits
    [InlineData("+86 1381234567")]
    [InlineData("0086138123456789")]
    public void TryNormalize_WrongDigitCount_IsRejected(string input)
    {
        Assert.False(MobileNumber.TryNormalize(input, out _, out string? error));
        Assert.Contains("11 digits", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("23812345678")]
    [InlineData("10812345678")]
    [InlineData("11812345678")]
    [InlineData("12812345678")]
    [InlineData("86138123456")] // 11 digits starting with 86 are not read as a prefixed number
    public void TryNormalize_WrongLeadingDigits_IsRejected(string input)
    {
        Assert.False(MobileNumber.IsValid(input));
    }

    [Theory]
    [InlineData("138abcd5678")]
    [InlineData("138.1234.5678")]
    [InlineData("(138)12345678")]
    [InlineData("13812345678+")]
    [InlineData("++8613812345678")]
    public void TryNormalize_InvalidCharacters_IsRejected(string input)
    {
        Assert.False(MobileNumber.TryNormalize(input, out _, out string? error));
        Assert.Contains("invalid characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+852 6123 4567")]
    [InlineData("+1 415 555 0100")]
    public void TryNormalize_ForeignCountryCode_IsRejected(string input)
    {
        Assert.False(MobileNumber.TryNormalize(input, out _, out string? error));
        Assert.Contains("+86", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("- -")]
    public void TryNormalize_Empty_IsRejected(string? input)
    {
        Assert.False(MobileNumber.TryNormalize(input, out string normalized, out string? error));
        Assert.Equal(string.Empty, normalized);
        Assert.NotNull(error);
    }

    [Fact]
    public void TryNormalize_VeryLongInput_IsRejectedWithoutThrowing()
    {
        Assert.False(MobileNumber.TryNormalize(new string('1', 10_000), out _, out string? error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("12345678901")]
    [InlineData("1381234567")]
    [InlineData("138123456789")]
    [InlineData("138abcd5678")]
    [InlineData("+852 6123 4567")]
    [InlineData("23812345678")]
    [InlineData("0086138123456789")]
    public void TryNormalize_AnyError_NeverContainsInput(string input)
    {
        Assert.False(MobileNumber.TryNormalize(input, out _, out string? error));
        CitizenIdTests.AssertSafeBilingual(error, input);
    }

    [Theory]
    [InlineData("１３８１２３４５６７８")] // full-width digits, as a Chinese input method gives them
    [InlineData("＋８６ １３８－１２３４－５６７８")] // full-width plus, hyphens and an ideographic space
    [InlineData("138\u30001234\u30005678")]
    public void TryNormalize_FullWidthInput_IsFoldedToTheSameNumber(string input)
    {
        Assert.True(MobileNumber.TryNormalize(input, out string normalized, out string? error), error);
        Assert.Equal("13812345678", normalized);
    }
}
