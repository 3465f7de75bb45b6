using CivicGrid.AntiFraud.Data;
using CivicGrid.Kernel.Data;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Tests.Features;

/// <summary>Fails when a model changed without a migration, for each module and each provider.</summary>
public class MigrationTests
{
    public static TheoryData<string> Contexts => new()
    {
        nameof(KernelSqliteDbContext), nameof(KernelPostgresDbContext),
        nameof(PlacesSqliteDbContext), nameof(PlacesPostgresDbContext),
        nameof(PopulationSqliteDbContext), nameof(PopulationPostgresDbContext),
        nameof(AntiFraudSqliteDbContext), nameof(AntiFraudPostgresDbContext),
    };

    private static DbContext Create(string name) => name switch
    {
        nameof(KernelSqliteDbContext) => new KernelSqliteDesignFactory().CreateDbContext([]),
        nameof(KernelPostgresDbContext) => new KernelPostgresDesignFactory().CreateDbContext([]),
        nameof(PlacesSqliteDbContext) => new PlacesSqliteDesignFactory().CreateDbContext([]),
        nameof(PlacesPostgresDbContext) => new PlacesPostgresDesignFactory().CreateDbContext([]),
        nameof(PopulationSqliteDbContext) => new PopulationSqliteDesignFactory().CreateDbContext([]),
        nameof(PopulationPostgresDbContext) => new PopulationPostgresDesignFactory().CreateDbContext([]),
        nameof(AntiFraudSqliteDbContext) => new AntiFraudSqliteDesignFactory().CreateDbContext([]),
        nameof(AntiFraudPostgresDbContext) => new AntiFraudPostgresDesignFactory().CreateDbContext([]),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Contexts))]
    public void Model_HasNoPendingChanges(string context)
    {
        using var db = Create(context);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(), $"{context}: the model changed without a migration (dotnet ef migrations add)");
    }
}
