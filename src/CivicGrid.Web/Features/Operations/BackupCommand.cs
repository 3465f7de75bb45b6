using CivicGrid.Kernel.Data;
using Microsoft.Data.Sqlite;

namespace CivicGrid.Web.Features.Operations;

/// <summary>
/// `backup --to FILE` and `restore --from FILE` on the platform's executable.
/// <para>SQLite: the backup is SQLite's online backup API (a consistent copy while the platform runs, WAL included); the
/// restore checks the file is a CivicGrid database (SQLite header, integrity check, the Kernel's migration table) before it
/// writes anything, writes a temporary file beside the target and moves it into place, so a refused or broken restore leaves
/// the target as it was. A target database that already holds data is replaced only with --force.</para>
/// <para>PostgreSQL: use pg_dump / pg_restore (docs/operations.md); the verbs say so.</para>
/// <para>The personal-data key (CivicGrid:PersonalData:KeyFile or :Key) is never in a backup: a stolen backup alone holds
/// only ciphertext. Keep the key apart; without it the restored ID numbers and phones cannot be read.</para>
/// </summary>
public static class BackupCommand
{
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    public static async Task<int> BackupAsync(string[] args, TextWriter output, TextWriter error)
    {
        var to = Option(args, "--to");
        if (string.IsNullOrWhiteSpace(to))
        {
            await error.WriteLineAsync("缺少 --to 备份文件路径 / --to FILE is required");
            return 2;
        }
        var database = DatabaseOptions.From(ToolConfiguration(args));
        if (database.IsPostgres)
        {
            await error.WriteLineAsync("PostgreSQL 请用 pg_dump 备份（见 docs/operations.md）/ On PostgreSQL back up with pg_dump (see docs/operations.md)");
            return 2;
        }
        var source = new SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        if (!File.Exists(source))
        {
            await error.WriteLineAsync($"数据库文件不存在：{Path.GetFileName(source)} / The database file does not exist: {Path.GetFileName(source)}");
            return 1;
        }
        var target = Path.GetFullPath(to);
        if (File.Exists(target))
        {
            await error.WriteLineAsync("备份文件已存在，请换一个文件名 / The backup file already exists: choose another name");
            return 1;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + ".partial";
        try
        {
            await using (var from = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString))
            await using (var into = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Pooling = false }.ConnectionString))
            {
                await from.OpenAsync();
                await into.OpenAsync();
                from.BackupDatabase(into);
                // One self-contained file: no -wal beside it.
                await using var mode = into.CreateCommand();
                mode.CommandText = "PRAGMA journal_mode=DELETE;";
                await mode.ExecuteNonQueryAsync();
            }
            File.Move(partial, target);
        }
        catch (SqliteException e)
        {
            File.Delete(partial);
            await error.WriteLineAsync($"备份失败：{e.SqliteErrorCode} / Backup failed: {e.Message}");
            return 1;
        }
        var size = new FileInfo(target).Length;
        await output.WriteLineAsync($"已备份到 {target}（{size / 1024.0 / 1024.0:0.0} MB）。个人信息密钥不在备份中，请另行保管。");
        await output.WriteLineAsync($"backed up to {target} ({size} bytes). The personal-data key is not in the backup: keep it apart.");
        return 0;
    }

    public static async Task<int> RestoreAsync(string[] args, TextWriter output, TextWriter error)
    {
        var from = Option(args, "--from");
        if (string.IsNullOrWhiteSpace(from) || !File.Exists(from))
        {
            await error.WriteLineAsync("缺少 --from 备份文件，或文件不存在 / --from FILE is required and must exist");
            return 2;
        }
        var database = DatabaseOptions.From(ToolConfiguration(args));
        if (database.IsPostgres)
        {
            await error.WriteLineAsync("PostgreSQL 请用 pg_restore 恢复（见 docs/operations.md）/ On PostgreSQL restore with pg_restore (see docs/operations.md)");
            return 2;
        }
        if (Check(from) is { } problem)
        {
            await error.WriteLineAsync(problem);
            return 2;
        }
        var target = Path.GetFullPath(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource);
        if (File.Exists(target) && new FileInfo(target).Length > 0 && !args.Contains("--force"))
        {
            await error.WriteLineAsync("目标数据库已存在，请先停止平台并加 --force 覆盖 / The target database exists: stop the platform and add --force to replace it");
            return 1;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + ".restoring";
        File.Delete(partial);
        File.Copy(from, partial);
        foreach (var f in new[] { target + "-wal", target + "-shm" }.Where(File.Exists)) File.Delete(f);
        File.Move(partial, target, overwrite: true);
        await output.WriteLineAsync($"已恢复到 {target}。请用备份时的个人信息密钥启动平台。");
        await output.WriteLineAsync($"restored into {target}. Start the platform with the personal-data key of the backed-up platform.");
        return 0;
    }

    /// <summary>Why <paramref name="file"/> is not a CivicGrid backup (both languages), or null when it is one.</summary>
    public static string? Check(string file)
    {
        var header = new byte[SqliteHeader.Length];
        using (var stream = File.OpenRead(file))
        {
            if (stream.Read(header, 0, header.Length) != header.Length || !header.AsSpan().SequenceEqual(SqliteHeader))
                return "该文件不是 CivicGrid 的备份（不是 SQLite 数据库）/ The file is not a CivicGrid backup (not an SQLite database)";
        }
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
            connection.Open();
            using var integrity = connection.CreateCommand();
            integrity.CommandText = "PRAGMA integrity_check;";
            if (integrity.ExecuteScalar() as string != "ok")
                return "备份文件已损坏（完整性检查未通过）/ The backup is damaged (integrity check failed)";
            using var kernel = connection.CreateCommand();
            kernel.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__migrations_kernel';";
            if (Convert.ToInt64(kernel.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
                return "该文件不是 CivicGrid 的备份（SQLite 数据库，但不是本平台的）/ The file is not a CivicGrid backup (an SQLite database, but not of this platform)";
        }
        catch (SqliteException)
        {
            return "备份文件无法读取（已损坏或不是数据库）/ The backup cannot be read (damaged, or not a database)";
        }
        return null;
    }

    /// <summary>The settings a verb runs with, found as the web host finds them (appsettings, environment, `--Section:Key=value`).</summary>
    private static ConfigurationManager ToolConfiguration(string[] args) =>
        WebApplication.CreateBuilder(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=')).ToArray()).Configuration;

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
