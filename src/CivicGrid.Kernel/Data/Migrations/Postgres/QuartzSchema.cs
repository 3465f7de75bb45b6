namespace CivicGrid.Kernel.Data.Migrations.Postgres;

/// <summary>
/// The qrtz_ tables of the platform scheduler's clustered store, created by the Kernel's PostgreSQL migrations (SQLite runs
/// the in-memory store and has none). The script is Quartz.NET 4.7.3's embedded create_postgres.sql with the prefix filled in;
/// a later Quartz that adds columns comes with its own migration script, applied as a new migration here.
/// </summary>
internal static class QuartzSchema
{
    public const string Prefix = "qrtz_";

    public static string Script()
    {
        using var stream = typeof(QuartzSchema).Assembly.GetManifestResourceStream("CivicGrid.Kernel.quartz_tables_postgres.sql")
            ?? throw new InvalidOperationException("quartz_tables_postgres.sql is not embedded in the Kernel");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static readonly string[] Tables =
    [
        "fired_triggers", "paused_trigger_grps", "paused_job_grps", "scheduler_state", "locks", "simple_triggers", "cron_triggers", "simprop_triggers",
        "blob_triggers", "triggers", "job_details", "calendars", "execution_history", "misfire_history", "job_status",
    ];

    public static string DropScript() => string.Join("\n", Tables.Select(t => $"DROP TABLE IF EXISTS {Prefix}{t} CASCADE;"));
}
