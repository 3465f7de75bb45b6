using CivicGrid.Kernel.Calendar;

namespace CivicGrid.Kernel.Tests.Calendar;

public class CalendarFileTests
{
    [Fact]
    public void Parse_GoodFile_ReadsTheRowsInDateOrder()
    {
        var (rows, errors) = CalendarFile.Parse("date,name,off_day\n2027-01-02,元旦,1\n2027-01-01,元旦,1\n2027-01-10,春节,0\n", 2027);
        Assert.Empty(errors);
        Assert.Equal([new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 2), new DateOnly(2027, 1, 10)], rows.Select(r => r.Date).ToArray());
        Assert.False(rows[2].OffDay);
    }

    [Fact]
    public void Parse_EveryKindOfBadRow_NamesTheRowAndColumnInChinese_AndReturnsNoRows()
    {
        var text = string.Join('\n',
            "date,name,off_day",
            "2027-13-01,元旦,1",      // row 2: bad date
            "2026-12-31,元旦,1",      // row 3: outside the year
            "2027-01-01,元旦,2",      // row 4: off_day not 0/1
            "2027-01-06,春节,0",      // row 5: a 调休 working day on a Wednesday
            "2027-02-01,春节,1",      // row 6
            "2027-02-01,春节,1",      // row 7: listed twice
            "2027-02-03,,1");         // row 8: no name
        var (rows, errors) = CalendarFile.Parse(text, 2027);
        Assert.Empty(rows);
        Assert.Contains(errors, e => e.Row == 2 && e.Column == "date" && e.Message.Contains("无效"));
        Assert.Contains(errors, e => e.Row == 3 && e.Column == "date" && e.Message.Contains("不在 2027 年内"));
        Assert.Contains(errors, e => e.Row == 4 && e.Column == "off_day" && e.Message.Contains("应为 1"));
        Assert.Contains(errors, e => e.Row == 5 && e.Column == "off_day" && e.Message.Contains("星期三"));
        Assert.Contains(errors, e => e.Row == 7 && e.Column == "date" && e.Message.Contains("与第 6 行重复"));
        Assert.Contains(errors, e => e.Row == 8 && e.Column == "name");
        Assert.DoesNotContain(errors, e => e.Row == 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("date,name,off_day\n")]
    [InlineData("\n\n")]
    public void Parse_EmptyFile_IsAnError(string text)
    {
        var (rows, errors) = CalendarFile.Parse(text, 2027);
        Assert.Empty(rows);
        Assert.Contains("文件为空", Assert.Single(errors).Message);
    }

    [Fact]
    public void Parse_WrongHeader_NamesTheMissingColumn()
    {
        var (_, errors) = CalendarFile.Parse("日期,名称\n2027-01-01,元旦\n", 2027);
        Assert.Contains(errors, e => e.Row == 1 && e.Column == "off_day");
    }

    [Fact]
    public void Hash_DependsOnTheRowsNotTheirOrder()
    {
        var a = CalendarFile.Parse("date,name,off_day\n2027-01-01,元旦,1\n2027-01-02,元旦,1\n", 2027).Rows;
        var b = CalendarFile.Parse("date,name,off_day\r\n2027-01-02,元旦,1\r\n2027-01-01,元旦,1\r\n", 2027).Rows;
        var c = CalendarFile.Parse("date,name,off_day\n2027-01-01,元旦,1\n", 2027).Rows;
        Assert.Equal(CalendarFile.Hash(a), CalendarFile.Hash(b));
        Assert.NotEqual(CalendarFile.Hash(a), CalendarFile.Hash(c));
        Assert.Equal(64, CalendarFile.Hash(a).Length);
    }

    [Fact]
    public void Write_ThenParse_GivesTheSameRows()
    {
        var rows = CalendarFile.ShippedRows().Where(r => r.Date.Year == 2024).ToList();
        var (again, errors) = CalendarFile.Parse(CalendarFile.Write(rows), 2024);
        Assert.Empty(errors);
        Assert.Equal(rows, again);
    }
}
