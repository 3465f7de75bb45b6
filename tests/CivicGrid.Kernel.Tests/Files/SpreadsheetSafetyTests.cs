using System.Text;
using CivicGrid.Kernel.Files;

namespace CivicGrid.Kernel.Tests.Files;

public class SpreadsheetSafetyTests
{
    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("+8617012345678", "'+8617012345678")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("\t=cmd", "'\t=cmd")]
    [InlineData("正常文本", "正常文本")]
    [InlineData("a=1", "a=1")]
    [InlineData(null, "")]
    public void SafeCell_FormulaLikeText_GetsAnApostrophe(string? value, string expected) =>
        Assert.Equal(expected, TabularFile.SafeCell(value));

    [Fact]
    public void WriteCsv_ThenRead_SameValuesAndNoCellStartsAsAFormula()
    {
        string?[][] rows = [["=1+1", "来源,甲"], ["@SUM(A1)", "say \"hi\""], ["+8617000000000", "line\nbreak"]];
        var bytes = TabularFile.WriteCsv(["value", "source"], rows);
        var text = Encoding.UTF8.GetString(bytes);
        foreach (var line in text.TrimStart('\uFEFF').Split('\n').Skip(1).Where(l => l.Length > 0))
        {
            Assert.DoesNotMatch("^\"?[=+\\-@]", line);
        }
        var back = TabularFile.Read(new MemoryStream(bytes), "list.csv");
        Assert.Equal(["value", "source"], back[0]);
        Assert.Equal(rows.Select(r => r.Select(c => c ?? "").ToArray()), back.Skip(1));
    }

    [Fact]
    public void WriteXlsx_ThenRead_SameValuesStoredNeutralised()
    {
        var bytes = TabularFile.WriteXlsx("名单", ["值", "来源"], [["=HYPERLINK(\"http://x\")", "@A1"]]);
        using (var workbook = new ClosedXML.Excel.XLWorkbook(new MemoryStream(bytes)))
        {
            var cell = workbook.Worksheet(1).Cell(2, 1);
            Assert.False(cell.HasFormula);
            Assert.StartsWith("'", cell.GetString());
        }
        var back = TabularFile.Read(new MemoryStream(bytes), "名单.xlsx");
        Assert.Equal(["=HYPERLINK(\"http://x\")", "@A1"], back[1]);
    }
}
