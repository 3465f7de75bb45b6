using Microsoft.AspNetCore.HttpOverrides;
using System.Globalization;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Web.Features.Accounts;
using CivicGrid.Web.Features.Demo;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Localization;
using MudBlazor.Services;

namespace CivicGrid.Web;

/// <summary>The host's shared plumbing: database, personal-data key, UI, localisation, errors, health, OpenAPI.</summary>
public static class Platform
{
    public static DatabaseOptions AddPlatform(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (string.IsNullOrEmpty(config["urls"]) && string.IsNullOrEmpty(config["ASPNETCORE_URLS"]) && config["CivicGrid:Url"] is { } url)
        {
            builder.WebHost.UseUrls(url);
        }
        // Structured logs: one JSON object per line. Personal data never reaches a log line: messages carry ids and masks only.
        builder.Logging.ClearProviders();
        // Scopes carry the request id (and trace id) of each request into every line it writes.
        builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        builder.AddTelemetry();

        var database = DatabaseOptions.From(config);
        builder.Services.AddSingleton(database);
        builder.Services.AddModuleDbContext<KernelDbContext, KernelSqliteDbContext, KernelPostgresDbContext>(database, "kernel");
        // Sign-in cookies and antiforgery tokens are signed with keys kept in the Kernel's database, not in one machine's home
        // folder: every web node behind a load balancer accepts the cookies of the others, and a restarted node keeps them.
        builder.Services.AddDataProtection().SetApplicationName("CivicGrid").PersistKeysToDbContext<KernelDbContext>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Kernel.Time.ChinaClock>();
        builder.Services.AddSingleton(_ => new PersonalDataProtector(PersonalDataKey.Load(config)));

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<Kernel.Context.RequestContext>();
        builder.Services.AddSingleton(config.GetSection(Kernel.SignIn.OneTimeCodeOptions.Section).Get<Kernel.SignIn.OneTimeCodeOptions>()
            ?? new Kernel.SignIn.OneTimeCodeOptions());
        builder.Services.AddSingleton<Kernel.SignIn.OneTimeCodes>();
        builder.Services.AddPlatformScheduler(database, config);
        // One outbox for every module: SMS, group robots, 浙政钉, e-mail, the staff inbox (docs in Kernel/Messaging).
        Kernel.Messaging.MessagingServices.AddMessaging(builder.Services, config);
        builder.Services.AddPlatformJob<Kernel.SignIn.SignInCodePurge>("sign_in_code_purge", "清理过期登录验证码", "Purge expired sign-in codes",
            JobSchedule.Every(TimeSpan.FromHours(1)));
        builder.Services.AddOpenApi();
        // /healthz: the process answers (liveness). /readyz: it can also reach its database (readiness, for the load balancer).
        builder.Services.AddHealthChecks().AddCheck<DatabaseReady>("database", tags: ["ready"]);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        builder.Services.AddExceptionHandler<WriteFailedHandler>();
        builder.Services.AddLocalization();
        // Binding failures (bad JSON, wrong types) throw so that BadRequestHandler answers them in both languages.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // Chinese text goes out as characters, not &#x...; escapes.
        builder.Services.AddSingleton(System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All));
        builder.Services.AddSingleton<DemoSeeder>();
        return database;
    }

    public static WebApplication UsePlatform(this WebApplication app)
    {
        // Behind a reverse proxy (nginx, a load balancer) the client address comes from X-Forwarded-For, but only from the
        // proxies listed in CivicGrid:Network:Proxies ("*" trusts any sender: tests, or a node reachable only via its proxy).
        // Sign-in throttling and audit lines use that address.
        if (app.Configuration.GetSection("CivicGrid:Network:Proxies").Get<string[]>() is { Length: > 0 } proxies)
        {
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
            if (proxies.Contains("*"))
            {
                forwarded.KnownIPNetworks.Clear();
                forwarded.KnownProxies.Clear();
            }
            else
            {
                foreach (var p in proxies) forwarded.KnownProxies.Add(System.Net.IPAddress.Parse(p));
            }
            app.UseForwardedHeaders(forwarded);
        }
        app.UseExceptionHandler();
        // Pages get the platform's Chinese 404 page; the API (and anything else that is not a page) keeps problem details.
        static bool IsApi(HttpContext c) => c.Request.Path.StartsWithSegments("/api");
        app.UseWhen(c => !IsApi(c), pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.UseWhen(IsApi, api => api.UseStatusCodePages());
        // Routing after the status-code pages, so that a re-executed /not-found finds its page.
        app.UseRouting();
        var cultures = new[] { new CultureInfo("zh-CN"), new CultureInfo("en") };
        app.UseRequestLocalization(new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture("zh-CN"),
            SupportedCultures = cultures,
            SupportedUICultures = cultures,
            // Only the cookie chooses: the default is Chinese whatever the browser says; the switch in the header sets the cookie.
            RequestCultureProviders = [new CookieRequestCultureProvider()],
        });
        // Scripts and styles are public; the fallback policy would otherwise send them to the sign-in page.
        app.MapStaticAssets().AllowAnonymous();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapHealthChecks("/healthz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") })
            .AllowAnonymous();
        app.MapGet("/culture/{culture}", (string culture, string? returnUrl, HttpContext http) =>
        {
            var c = culture == "en" ? "en" : "zh-CN";
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(c)),
                new CookieOptions { MaxAge = TimeSpan.FromDays(365), SameSite = SameSiteMode.Lax, HttpOnly = true });
            return Results.LocalRedirect(returnUrl is { Length: > 0 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) ? returnUrl : "/");
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>Applies migrations, seeds the demo district on first run and makes sure the demo accounts exist.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        var ct = app.Lifetime.ApplicationStopping;
        await app.Services.MigrateAllAsync(ct);
        await Kernel.Calendar.CalendarApi.PrepareCalendarAsync(app.Services, ct);
        var seeder = app.Services.GetRequiredService<DemoSeeder>();
        var demo = app.Configuration.GetValue("CivicGrid:Demo:SeedOnFirstRun", true);
        if (demo && await seeder.IsEmptyAsync(ct))
        {
            await seeder.SeedAsync("demo", ct);
        }
        var accounts = await DemoAccounts.EnsureAsync(app.Services, ct, demo);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var urls = string.Join(", ", app.Urls);
            Console.WriteLine();
            Console.WriteLine($"CivicGrid 基层智治平台 is running at {urls}");
            if (accounts.Count > 0)
            {
                Console.WriteLine("Demo sign-ins (synthetic district, change or disable before real use):");
                foreach (var a in accounts)
                {
                    Console.WriteLine($"  {Kernel.Accounts.Roles.Title(a.Role),-8} {a.UserName,-10} {a.Password}   ({a.Region})");
                }
            }
            Console.WriteLine();
        });
    }
}

/// <summary>
/// Malformed requests (a body that is not JSON, a field of the wrong type, a query value that is no number) are 400 validation
/// problems for every endpoint at once: the field is named when it can be known (System.Text.Json's path, the parameter name),
/// in both languages, never a 500. The framework's own message is not repeated: it may quote the value sent.
/// </summary>
internal sealed partial class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad) return false;
        http.Response.StatusCode = bad.StatusCode;
        var (field, message) = Describe(bad);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
            {
                Status = bad.StatusCode,
                Title = Bilingual.Both("请求格式错误", "Malformed request"),
            },
        });
    }

    /// <summary>The field a binding failure is about and a bilingual message for it.</summary>
    internal static (string Field, string Message) Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is System.Text.Json.JsonException json)
        {
            var field = FieldOf(json.Path);
            // The reader's own subclass means the text is not JSON at all; the base class, a value of the wrong type or format.
            var syntax = json.GetType() != typeof(System.Text.Json.JsonException);
            if (field == "body")
                return (field, Bilingual.Both("请求体不是有效的 JSON", "the request body is not valid JSON"));
            return (field, syntax
                ? Bilingual.Both($"{field} 处的 JSON 格式错误", $"malformed JSON at {field}")
                : Bilingual.Both($"{field} 的类型或格式不对", $"{field} has a value of the wrong type or format"));
        }
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return ("body", Bilingual.Both("请求体须为 JSON（Content-Type: application/json）", "the body must be JSON (Content-Type: application/json)"));
        var parameter = ParameterName().Match(bad.Message);
        if (bad.Message.Contains("no body was provided", StringComparison.Ordinal) || bad.Message.Contains("not provided from body", StringComparison.Ordinal))
            return ("body", Bilingual.Both("请求体必填", "a JSON body is required"));
        if (parameter.Success)
        {
            var name = parameter.Groups[1].Value;
            return (name, Bilingual.Both($"{name} 的值无效", $"{name} has an invalid value"));
        }
        return ("request", Bilingual.Both("请求格式错误", "malformed request"));
    }

    /// <summary>"$.moveIn" → "moveIn", "$.rows[2].name" → "rows[2].name", "$" or none → "body".</summary>
    internal static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    // The framework names a parameter as "Type name" in quotes, e.g. Failed to bind parameter "int? page" from "x".
    [System.Text.RegularExpressions.GeneratedRegex("parameter \"(?:[^\"]* )?([A-Za-z_][A-Za-z0-9_]*)\"")]
    private static partial System.Text.RegularExpressions.Regex ParameterName();
}

/// <summary>Readiness: the Kernel's database answers. A node that cannot reach it is taken out of the load balancer.</summary>
internal sealed class DatabaseReady(IServiceScopeFactory scopes) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KernelDbContext>();
        try
        {
            return await db.Database.CanConnectAsync(cancellationToken)
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("database unreachable");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}

public static class PersonalDataKey
{
    /// <summary>
    /// The key comes from configuration (CivicGrid:PersonalData:Key, e.g. an environment variable in production). Without one,
    /// a key file is created under ./data for the demo; it never goes into the repository.
    /// </summary>
    public static PersonalDataOptions Load(IConfiguration config)
    {
        var options = config.GetSection("CivicGrid:PersonalData").Get<PersonalDataOptions>() ?? new PersonalDataOptions();
        if (!string.IsNullOrEmpty(options.Key)) return options;
        var file = config["CivicGrid:PersonalData:KeyFile"] ?? "data/personal-data.key";
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            File.WriteAllText(file, PersonalDataProtector.GenerateKey());
        }
        options.Key = File.ReadAllText(file).Trim();
        return options;
    }
}
