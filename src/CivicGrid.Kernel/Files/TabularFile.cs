using System.Text;
using ClosedXML.Excel;

namespace CivicGrid.Kernel.Files;

/// <summary>
/// Reads the rows of an uploaded .xlsx or .csv (UTF-8, with or without BOM, or GB18030 as Excel in China saves it) as
/// string cells. The first row holds the headers. Malformed files throw <see cref="InvalidDataException"/> with a bilingual message.
/// </summary>
public static class TabularFile
{
    static TabularFile() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static List<string[]> Read(Stream stream, string fileName)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var rows = fileName.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase) ? ReadXlsx(bytes)
            : fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ReadCsv(Decode(bytes))
            : throw new InvalidDataException(Bilingual.Both("仅支持 .xlsx 或 .csv 文件", "only .xlsx and .csv files are accepted"));
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Length; c++) row[c] = Unneutralise(row[c]);
        }
        return rows;
    }

    /// <summary>UTF-8 when the bytes are valid UTF-8, GB18030 otherwise.</summary>
    public static string Decode(byte[] bytes)
    {
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException)
        {
            return Encoding.GetEncoding("GB18030").GetString(bytes);
        }
    }

    /// <summary>RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks.</summary>
    public static List<string[]> ReadCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0: quoted = true; break;
                case ',': row.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    row.Add(field.ToString()); field.Clear();
                    rows.Add([.. row]); row.Clear();
                    break;
                default: field.Append(c); break;
            }
        }
        if (quoted) throw new InvalidDataException(Bilingual.Both("CSV 文件不完整：引号未闭合", "truncated CSV: a quoted field is not closed"));
        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add([.. row]);
        }
        // Trailing empty lines are not rows.
        rows.RemoveAll(r => r.All(string.IsNullOrWhiteSpace));
        return rows;
    }

    private static List<string[]> ReadXlsx(byte[] bytes)
    {
        try
        {
            using var workbook = new XLWorkbook(new MemoryStream(bytes));
            var sheet = workbook.Worksheets.First();
            var used = sheet.RangeUsed();
            if (used is null) return [];
            var width = used.ColumnCount();
            var rows = new List<string[]>();
            foreach (var r in used.Rows())
            {
                var cells = new string[width];
                for (var c = 1; c <= width; c++)
                {
                    var cell = r.Cell(c);
                    // Dates come back as dates; everything else as the text Excel shows (ID numbers must be typed as text).
                    cells[c - 1] = cell.DataType == XLDataType.DateTime ? cell.GetDateTime().ToString("yyyy-MM-dd") : cell.GetFormattedString();
                }
                if (!cells.All(string.IsNullOrWhiteSpace)) rows.Add(cells);
            }
            return rows;
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException(Bilingual.Both("不是有效的 Excel 工作簿（文件损坏或不完整）", "not a valid Excel workbook (damaged or truncated)"), e);
        }
    }

    /// <summary>
    /// A cell as a spreadsheet must receive it from us: text starting with = + - @ (or a tab or carriage return) gets a leading
    /// apostrophe, so neither Excel nor WPS runs it as a formula (CSV injection). <see cref="Read"/> takes the apostrophe off
    /// again, so a downloaded list uploaded unchanged keeps its values.
    /// </summary>
    public static string SafeCell(string? value) =>
        string.IsNullOrEmpty(value) ? "" : value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    /// <summary>One CSV field: neutralised (<see cref="SafeCell"/>) and quoted when it holds a comma, quote or line break.</summary>
    public static string CsvField(string? value)
    {
        var v = SafeCell(value);
        return v.AsSpan().IndexOfAny(',', '"', '\n') >= 0 || v.Contains('\r') ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
    }

    /// <summary>A CSV file (UTF-8 with BOM so Excel opens Chinese correctly) with every field neutralised.</summary>
    public static byte[] WriteCsv(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var text = new StringBuilder("\uFEFF");
        text.AppendJoin(',', headers.Select(CsvField)).Append('\n');
        foreach (var row in rows) text.AppendJoin(',', row.Select(CsvField)).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Unneutralise(string cell) =>
        cell.Length > 1 && cell[0] == '\'' && cell[1] is '=' or '+' or '-' or '@' or '\t' or '\r' ? cell[1..] : cell;

    /// <summary>A one-sheet workbook with a bold header row.</summary>
    public static byte[] WriteXlsx(string sheetName, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add(sheetName);
        for (var c = 0; c < headers.Count; c++)
        {
            sheet.Cell(1, c + 1).Value = headers[c];
            sheet.Cell(1, c + 1).Style.Font.Bold = true;
        }
        var r = 2;
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Count; c++)
            {
                // Written as text so long digit strings (ID numbers, row numbers) are not turned into numbers.
                sheet.Cell(r, c + 1).SetValue(SafeCell(row[c]?.ToString()));
            }
            r++;
        }
        using var output = new MemoryStream();
        workbook.SaveAs(output);
        return output.ToArray();
    }
}
