using Microsoft.Playwright;

namespace CivicGrid.E2E.Pages;

/// <summary>Page object for the alert board /antifraud (反诈预警).</summary>
public sealed class AntiFraudBoardPage(IPage page)
{
    public async Task OpenFromMenuAsync()
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "反诈预警" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "反诈预警", Exact = true }).WaitForAsync();
        await LoginPage.WaitForCircuitAsync(page);
    }

    /// <summary>The board's row of an alert, found by a text it shows (a fraud type, a resident).</summary>
    public ILocator Row(string text) => page.GetByRole(AriaRole.Row).Filter(new() { HasText = text });

    public async Task HandleAsync(string rowText)
    {
        await Row(rowText).First.GetByRole(AriaRole.Button, new() { Name = "处置" }).ClickAsync();
        await page.GetByText("证据（按时间）").WaitForAsync();
    }

    public ILocator EvidenceItems => page.Locator("ol.evidence li");

    public async Task RecordAsync(string method, string outcome, long amount)
    {
        await page.GetByRole(AriaRole.Radio, new() { Name = method }).CheckAsync();
        await page.GetByRole(AriaRole.Radio, new() { Name = outcome }).CheckAsync();
        await page.GetByLabel("止损金额（元）").FillAsync(amount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "保存处置" }).ClickAsync();
        await page.GetByText("已保存处置记录").WaitForAsync();
    }
}
