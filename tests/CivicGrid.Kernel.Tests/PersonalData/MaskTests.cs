using CivicGrid.Kernel.PersonalData;

namespace CivicGrid.Kernel.Tests.PersonalData;

public class MaskTests
{
    [Fact]
    public void IdNumber_EighteenCharacters_KeepsFirstSixAndLastFour()
    {
        Assert.Equal("330109********1234", Mask.IdNumber("330109199001011234"));
        Assert.Equal("110105********002X", Mask.IdNumber("11010519491231002X"));
    }

    [Fact]
    public void Phone_ElevenDigits_KeepsFirstThreeAndLastFour()
    {
        Assert.Equal("138****5678", Mask.Phone("13812345678"));
    }

    [Fact]
    public void CreditCode_EighteenCharacters_KeepsFirstFourAndLastFour()
    {
        Assert.Equal("9135**********0Y43", Mask.CreditCode("91350100M000100Y43"));
    }

    [Theory]
    [InlineData("张三丰", "张**")]
    [InlineData("张三", "张*")]
    [InlineData("张", "张*")]
    [InlineData("欧阳娜娜", "欧***")]
    [InlineData("阿依古丽·买买提", "阿*******")]
    [InlineData(" 李四 ", "李*")]
    [InlineData("𠇔三", "𠇔*")] // surname outside the BMP (surrogate pair) stays intact
    [InlineData("王𠇔", "王*")]
    public void Name_Various_KeepsOnlyFirstCharacter(string name, string expected)
    {
        Assert.Equal(expected, Mask.Name(name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("1")]
    [InlineData("3301091990")]
    [InlineData("33010919900101123")] // 17 characters: one short of the rule
    public void IdNumber_NullOrShort_ReturnsHidden(string? value)
    {
        Assert.Equal(Mask.Hidden, Mask.IdNumber(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("138")]
    [InlineData("1381234567")]
    public void Phone_NullOrShort_ReturnsHidden(string? value)
    {
        Assert.Equal(Mask.Hidden, Mask.Phone(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("9135")]
    [InlineData("91350100M000100Y4")]
    public void CreditCode_NullOrShort_ReturnsHidden(string? value)
    {
        Assert.Equal(Mask.Hidden, Mask.CreditCode(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Name_NullOrEmpty_ReturnsHidden(string? value)
    {
        Assert.Equal(Mask.Hidden, Mask.Name(value));
    }

    [Fact]
    public void AllMasks_LongerInput_NeverRevealMoreThanTheRule()
    {
        string value = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        Assert.Equal("ABCDEF********WXYZ", Mask.IdNumber(value));
        Assert.Equal("ABC****WXYZ", Mask.Phone(value));
        Assert.Equal("ABCD**********WXYZ", Mask.CreditCode(value));
    }

    [Fact]
    public void AllMasks_ArbitraryInput_NeverThrow()
    {
        var random = new Random(4);
        for (int n = 0; n < 2000; n++)
        {
            char[] chars = new char[random.Next(0, 40)];
            for (int i = 0; i < chars.Length; i++)
            {
                // Includes lone surrogates and control characters.
                chars[i] = (char)random.Next(0, 0xFFFF);
            }

            string value = new(chars);
            Assert.NotNull(Mask.IdNumber(value));
            Assert.NotNull(Mask.Phone(value));
            Assert.NotNull(Mask.CreditCode(value));
            Assert.NotNull(Mask.Name(value));
        }
    }
}
