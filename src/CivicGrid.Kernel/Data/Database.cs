using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Kernel.Data;

/// <summary>Which database the platform runs on: the embedded SQLite file by default, PostgreSQL + PostGIS in production.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "CivicGrid:Database";

    /// <summary>"sqlite" or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";

    public string ConnectionString { get; set; } = "Data Source=data/civicgrid.db";

    public bool IsPostgres => string.Equals(Provider, "postgres", StringComparison.OrdinalIgnoreCase);

    public static DatabaseOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
}

/// <summary>A module's DbContext to migrate at start-up, in registration order.</summary>
public sealed record MigrationStep(string Module, Type ContextType);

public static class DatabaseSetup
{
    /// <summary>
    /// Registers a module's context. Each module has one model and two derived contexts, one per provider, so that each
    /// provider keeps its own migrations (as bitwarden does). Handlers ask for <typeparamref name="TBase"/>; interactive pages,
    /// background work and contracts ask for <c>IDbContextFactory&lt;TBase&gt;</c> and create a short-lived context per
    /// operation (a Blazor circuit lives for hours and must not hold one context for all of it).
    /// </summary>
    public static IServiceCollection AddModuleDbContext<TBase, TSqlite, TPostgres>(
        this IServiceCollection services, DatabaseOptions options, string module)
        where TBase : DbContext where TSqlite : TBase where TPostgres : TBase
    {
        if (options.IsPostgres)
        {
            Register<TBase, TPostgres>(services, module, b => b.UseCivicGridPostgres(options.ConnectionString, module));
        }
        else
        {
            Register<TBase, TSqlite>(services, module, b => b.UseCivicGridSqlite(options.ConnectionString, module));
        }
        return services;
    }

    private static void Register<TBase, TProvider>(IServiceCollection services, string module, Action<DbContextOptionsBuilder> configure)
        where TBase : DbContext where TProvider : TBase
    {
        // The factory also registers TProvider as a scoped service (created from the same singleton options).
        services.AddDbContextFactory<TProvider>(configure);
        services.AddScoped<TBase>(sp => sp.GetRequiredService<TProvider>());
        services.AddSingleton<IDbContextFactory<TBase>>(sp => new BaseFactory<TBase, TProvider>(sp.GetRequiredService<IDbContextFactory<TProvider>>()));
        services.AddSingleton(new MigrationStep(module, typeof(TProvider)));
    }

    private sealed class BaseFactory<TBase, TProvider>(IDbContextFactory<TProvider> inner) : IDbContextFactory<TBase>
        where TBase : DbContext where TProvider : TBase
    {
        public TBase CreateDbContext() => inner.CreateDbContext();
    }

    public static DbContextOptionsBuilder UseCivicGridSqlite(this DbContextOptionsBuilder b, string connectionString, string module) =>
        b.UseSqlite(connectionString, o => o.MigrationsHistoryTable($"__migrations_{module}"));

    public static DbContextOptionsBuilder UseCivicGridPostgres(this DbContextOptionsBuilder b, string connectionString, string module) =>
        b.UseNpgsql(connectionString, o =>
        {
            o.MigrationsHistoryTable($"__migrations_{module}");
            o.UseNetTopologySuite();
        });

    /// <summary>Applies every module's migrations; SQLite is switched to WAL so readers never wait for the writer.</summary>
    public static async Task MigrateAllAsync(this IServiceProvider services, CancellationToken ct)
    {
        using var scope = services.CreateScope();
        var steps = scope.ServiceProvider.GetServices<MigrationStep>().ToList();
        foreach (var step in steps)
        {
            var db = (DbContext)scope.ServiceProvider.GetRequiredService(step.ContextType);
            if (db.Database.IsSqlite())
            {
                EnsureSqliteFolder(db.Database.GetConnectionString());
                await db.Database.OpenConnectionAsync(ct);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
                await db.Database.CloseConnectionAsync();
            }
            await db.Database.MigrateAsync(ct);
        }
    }

    private static void EnsureSqliteFolder(string? connectionString)
    {
        if (connectionString is null) return;
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        var dir = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:" && dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
    }

    /// <summary>Design-time options for `dotnet ef` in each module (connection strings are placeholders; nothing connects).</summary>
    public static DbContextOptions<T> DesignTimeOptions<T>(bool postgres, string module) where T : DbContext
    {
        var b = new DbContextOptionsBuilder<T>();
        if (postgres) b.UseCivicGridPostgres("Host=localhost;Database=design", module);
        else b.UseCivicGridSqlite("Data Source=design.db", module);
        return b.Options;
    }
}
