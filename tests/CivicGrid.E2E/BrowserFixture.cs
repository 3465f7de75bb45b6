using System.Net;
using System.Net.Sockets;
using CivicGrid.Testing;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

/// <summary>
/// The platform on a real Kestrel port (its own free port and its own database) and Debian's Chromium driven by
/// Playwright. Never `playwright install`: the browser comes from apt (test.sh installs it).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public PlatformFactory Factory { get; } = new();
    public IPlaywright Playwright { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public string BaseUrl { get; private set; } = "";

    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        var port = FreePort();
        Factory.UseKestrel(port);
        Factory.StartServer();
        BaseUrl = $"http://127.0.0.1:{port}";
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CIVICGRID_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    public async Task<IPage> NewPageAsync(int width = 1366, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl, ViewportSize = new ViewportSize { Width = width, Height = height }, Locale = "zh-CN",
        });
        var page = await context.NewPageAsync();
        // Browser console errors go to the test output file, which helps when a circuit fails to start.
        page.Console += (_, m) => { if (m.Type is "error" or "warning") File.AppendAllText(Path.Combine(ScreenshotDir, "console.log"), $"{m.Type}: {m.Text}\n"); };
        return page;
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Factory.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserTests : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
