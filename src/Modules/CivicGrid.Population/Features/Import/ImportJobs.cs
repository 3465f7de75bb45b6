using System.Collections.Concurrent;
using System.Threading.Channels;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CivicGrid.Population.Features.Import;

internal sealed record ImportJobDto(long Id, string Kind, string FileName, ImportStatus Status, int Rows, int Processed, int Inserted, int Updated,
    int Unchanged, int ErrorCount, string? Message, DateTime CreatedAt, DateTime? FinishedAt);

/// <summary>
/// Background imports: an upload becomes a queued job; one worker runs jobs in order (imports are write-heavy and SQLite has
/// one writer), so the page can be closed and the job goes on. Progress lives in memory while a job runs.
/// </summary>
internal sealed class Importer
{
    public const long MaxFileBytes = 200L * 1024 * 1024;

    private readonly Channel<long> queue = Channel.CreateUnbounded<long>();
    private readonly ConcurrentDictionary<long, int> progress = new();

    public ChannelReader<long> Reader => queue.Reader;

    public void Enqueue(long jobId) => queue.Writer.TryWrite(jobId);

    public void Report(long jobId, int processed) => progress[jobId] = processed;

    public int Processed(long jobId) => progress.GetValueOrDefault(jobId);

    public void Forget(long jobId) => progress.TryRemove(jobId, out _);

    public ImportJobDto ToDto(ImportJob j) => new(j.Id, j.Kind, j.FileName, j.Status, j.Rows,
        j.Status == ImportStatus.Running ? Processed(j.Id) : j.Status == ImportStatus.Succeeded ? j.Rows * 2 : 0,
        j.Inserted, j.Updated, j.Unchanged, j.ErrorCount, j.Message, j.CreatedAt, j.FinishedAt);

    /// <summary>Stores the upload as a queued job in the caller's area.</summary>
    public async Task<ImportJob> SubmitAsync(PopulationDbContext db, string kind, string fileName, byte[] content, RegionScope scope, Actor actor,
        DateTime now, CancellationToken ct)
    {
        var job = new ImportJob
        {
            Kind = kind, FileName = Path.GetFileName(fileName), Content = content, RegionPath = scope.Path, RegionId = scope.RegionId,
            UserName = actor.UserName, UserId = actor.UserId, Role = actor.Role, ClientAddress = actor.ClientAddress, Status = ImportStatus.Queued, CreatedAt = now,
        };
        db.ImportJobs.Add(job);
        await db.SaveChangesAsync(ct);
        Enqueue(job.Id);
        return job;
    }

    /// <summary>Puts an interrupted job of the caller's area back on the queue; null when there is no such job.</summary>
    public async Task<ImportJob?> ResumeAsync(PopulationDbContext db, long jobId, RegionScope scope, CancellationToken ct)
    {
        var job = await db.ImportJobs.FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || !scope.Contains(job.RegionPath) || job.Status != ImportStatus.Interrupted || job.Content is null) return null;
        job.Status = ImportStatus.Queued;
        job.Message = null;
        (job.ClaimedBy, job.LeaseUntil) = (null, null);
        await db.SaveChangesAsync(ct);
        Enqueue(job.Id);
        return job;
    }
}

/// <summary>
/// Runs queued imports one at a time on this node (a per-node consumer, so a BackgroundService). With several nodes on one
/// database each job is claimed by exactly one node: the claim is one UPDATE from queued to running that sets the node and
/// a lease (<c>WHERE status = queued AND (claimed_by IS NULL OR lease expired)</c>), and the running node renews the lease.
/// At start, queued jobs are queued again (whichever node claims one runs it); a job left running by this node, or whose
/// lease ran out (its node died), is marked interrupted (it may have been what brought the machine down) and waits for
/// someone to resume it, while a job running on a live node is left alone. The platform job <see cref="ImportLeaseSweep"/>
/// does the same every minute for nodes that never come back. A failing job is marked failed and the worker goes on with
/// the next one: no job can stop the platform.
/// </summary>
internal sealed class ImportWorker(IServiceScopeFactory scopes, Importer queue, TimeProvider time, JobOptions jobs, ILogger<ImportWorker> logger) : BackgroundService
{
    public static readonly string InterruptedMessage = Bilingual.Both("导入因平台重启而中断，未导入任何数据；可点击“继续导入”重新开始",
        "the import was interrupted by a restart; nothing was imported; choose Resume to run it again");

    /// <summary>How long a claim holds without renewal; renewed every quarter of it while the job runs.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private string Node => jobs.ResolvedNodeId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RestoreAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The table may not exist yet while migrations run; new uploads still reach the queue.
            logger.LogInformation(e, "Import queue not restored at start");
        }
        await foreach (var jobId in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await RunAsync(jobId, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Import job {JobId} failed", jobId);
                await MarkFailedAsync(jobId, Bilingual.Both("导入中断，未导入任何数据", "the import broke off; nothing was imported"));
            }
        }
    }

    /// <summary>What start does: queued jobs go back on the queue; running ones of this node or of a dead one become interrupted.</summary>
    public async Task RestoreAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
        await InterruptAbandonedAsync(db, Node, time.GetUtcNow().UtcDateTime, ct);
        foreach (var id in await db.ImportJobs.Where(j => j.Status == ImportStatus.Queued).OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(ct))
        {
            queue.Enqueue(id);
        }
    }

    /// <summary>
    /// Marks interrupted the running jobs nobody is running any more: claimed by <paramref name="node"/> (this node, restarted),
    /// never claimed (from before claims), or with an expired lease. Returns how many.
    /// </summary>
    internal static async Task<int> InterruptAbandonedAsync(PopulationDbContext db, string? node, DateTime now, CancellationToken ct)
    {
        // A node restarted on the same machine has a new default id (host:pid): the claims of dead processes of this machine
        // are abandoned too, so the user sees 已中断 at once rather than "running" until the lease runs out.
        var claimers = await db.ImportJobs.Where(j => j.Status == ImportStatus.Running && j.ClaimedBy != null).Select(j => j.ClaimedBy!).Distinct().ToListAsync(ct);
        var dead = claimers.Where(JobOptions.IsDeadOnThisMachine).ToList();
        return await db.ImportJobs.Where(j => j.Status == ImportStatus.Running
                && (j.ClaimedBy == null || j.ClaimedBy == node || j.LeaseUntil < now || dead.Contains(j.ClaimedBy)))
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, ImportStatus.Interrupted).SetProperty(j => j.Message, InterruptedMessage)
                .SetProperty(j => j.LeaseUntil, (DateTime?)null), ct);
    }

    /// <summary>Claims a queued job for this node; true when this node got it (exactly one node does).</summary>
    public async Task<bool> ClaimAsync(PopulationDbContext db, long jobId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var until = now + Lease;
        var node = Node;
        return await db.ImportJobs
            .Where(j => j.Id == jobId && j.Status == ImportStatus.Queued && j.Content != null && (j.ClaimedBy == null || j.LeaseUntil < now))
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, ImportStatus.Running).SetProperty(j => j.ClaimedBy, node)
                .SetProperty(j => j.LeaseUntil, until), ct) == 1;
    }

    /// <summary>Renews this node's lease on a running job every quarter lease until <paramref name="ct"/> ends.</summary>
    private async Task RenewAsync(long jobId, CancellationToken ct)
    {
        var node = Node;
        try
        {
            while (true)
            {
                await Task.Delay(Lease / 4, time, ct);
                using var scope = scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
                var until = time.GetUtcNow().UtcDateTime + Lease;
                await db.ImportJobs.Where(j => j.Id == jobId && j.ClaimedBy == node && j.Status == ImportStatus.Running)
                    .ExecuteUpdateAsync(u => u.SetProperty(j => j.LeaseUntil, until), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A lease that lapses makes the job look abandoned; the import itself goes on and records its result.
            logger.LogWarning(e, "Import job {JobId}: lease renewal failed", jobId);
        }
    }

    /// <summary>Records a failure through a fresh context: the job's own context may be unusable after what went wrong.</summary>
    private async Task MarkFailedAsync(long jobId, string message)
    {
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var job = await db.ImportJobs.FirstOrDefaultAsync(j => j.Id == jobId, CancellationToken.None);
            if (job is not null && job.Status is not (ImportStatus.Succeeded or ImportStatus.Rejected or ImportStatus.Failed))
            {
                job.Status = ImportStatus.Failed;
                job.Message = message;
                job.Content = null;
                job.FinishedAt = time.GetUtcNow().UtcDateTime;
                job.LeaseUntil = null;
                await db.SaveChangesAsync(CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Import job {JobId}: the failure could not be recorded", jobId);
        }
        finally
        {
            queue.Forget(jobId);
        }
    }

    public async Task RunAsync(long jobId, CancellationToken ct)
    {
        using (var scope = scopes.CreateScope())
        {
            var sp = scope.ServiceProvider;
            var db = sp.GetRequiredService<PopulationDbContext>();
            if (!await ClaimAsync(db, jobId, ct)) return;
            var job = await db.ImportJobs.FirstAsync(j => j.Id == jobId, ct);
            using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var renewing = RenewAsync(jobId, renewal.Token);
            var actor = new Actor(job.UserId, job.UserName, job.Role, job.RegionPath, job.ClientAddress);
            try
            {
                var sheet = TabularFile.Read(new MemoryStream(job.Content ?? throw new InvalidDataException(Bilingual.Both("导入文件已不存在", "the import file is gone"))), job.FileName);
                var region = await sp.GetRequiredService<RegionDirectory>().FindAsync(job.RegionId, ct)
                    ?? throw new InvalidOperationException($"Region {job.RegionId} of import {jobId} no longer exists.");
                var summary = await ImportKinds.RunAsync(job.Kind, db, sp.GetRequiredService<AddressDirectory>(), sp.GetRequiredService<PersonalDataProtector>(),
                    sheet, region.Scope, actor, time.GetUtcNow().UtcDateTime,
                    new Progress<int>(n => queue.Report(jobId, n)), ct);
                db.ChangeTracker.Clear();
                job = await db.ImportJobs.FirstAsync(j => j.Id == jobId, ct);
                job.Rows = summary.Rows;
                (job.Inserted, job.Updated, job.Unchanged, job.ErrorCount) = (summary.Inserted, summary.Updated, summary.Unchanged, summary.Errors.Count);
                job.Status = summary.Succeeded ? ImportStatus.Succeeded : ImportStatus.Rejected;
                job.ErrorReport = summary.Succeeded ? null : ResidentImport.ErrorReport(summary.Errors);
                job.Message = summary.Succeeded ? null
                    : summary.Errors is [{ Column: "" } only] ? only.Reason
                    : Bilingual.Both($"{summary.Errors.Count} 处错误，未导入任何数据", $"{summary.Errors.Count} errors; nothing was imported");
            }
            catch (InvalidDataException e)
            {
                job.Status = ImportStatus.Failed;
                job.Message = e.Message;
            }
            finally
            {
                await renewal.CancelAsync();
                await renewing;
            }
            job.Content = null;
            job.FinishedAt = time.GetUtcNow().UtcDateTime;
            job.LeaseUntil = null;
            await db.SaveChangesAsync(ct);
            queue.Forget(jobId);
            Kernel.Operations.PlatformMetrics.ImportRows.Add(job.Rows, Kernel.Operations.PlatformMetrics.Tag("kind", job.Kind.ToString()),
                Kernel.Operations.PlatformMetrics.Tag("outcome", job.Status.ToString()));
        }
    }
}

/// <summary>
/// The platform job that looks after imports whose node is gone, every minute once per cluster: a running job whose lease
/// ran out is marked interrupted (its owner resumes it), and a job queued for more than a minute (its node may have died
/// before running it) is put on this node's queue, where the claim still lets only one node run it.
/// </summary>
internal sealed class ImportLeaseSweep(IServiceScopeFactory scopes, Importer queue, TimeProvider time, ILogger<ImportLeaseSweep> logger) : IPlatformJob
{
    public const string JobKey = "import_lease_sweep";

    public async Task RunAsync(Kernel.Context.Acting job, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        // No node name: only expired leases (and jobs from before claims) count as abandoned here.
        var interrupted = await ImportWorker.InterruptAbandonedAsync(db, node: null, now, ct);
        if (interrupted > 0) logger.LogWarning("{Count} imports interrupted: their node stopped renewing its lease", interrupted);
        var before = now.AddMinutes(-1);
        foreach (var id in await db.ImportJobs.Where(j => j.Status == ImportStatus.Queued && j.CreatedAt < before).OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(ct))
        {
            queue.Enqueue(id);
        }
    }
}

/// <summary>The import endpoints: upload, follow, error report, template.</summary>
internal static class ImportApi
{
    public static RouteGroupBuilder MapImportApi(this RouteGroupBuilder api)
    {
        var imports = api.MapGroup("/imports").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ImportRegister)));
        // Cookie-authenticated uploads from scripts too; the SameSite=Strict cookie already stops cross-site posts.
        imports.MapPost("/residents", Upload).WithName("UploadResidentImport").WithSummary("上传居住人员导入文件（后台导入） / Upload a residents file (imported in the background)").DisableAntiforgery();
        imports.MapGet("/{jobId:long}", Get).WithName("GetImportJob").WithSummary("导入任务状态 / An import job's state");
        imports.MapGet("/{jobId:long}/errors", Errors).WithName("DownloadImportErrors").WithSummary("下载导入错误报告 / Download an import's error report");
        imports.MapPost("/{jobId:long}/resume", Resume).WithName("ResumeImport").WithSummary("继续已中断的导入 / Resume an interrupted import");
        imports.MapGet("/templates/residents", () => TypedResults.File(ResidentImport.Template(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "居住人员导入模板.xlsx")).WithName("DownloadResidentTemplate").WithSummary("下载居住人员导入模板 / Download the residents template");
        return api;
    }

    private static Task<Results<Accepted<ImportJobDto>, ValidationProblem>> Upload(IFormFile? file, HttpContext http, PopulationDbContext db,
        Importer queue, TimeProvider time, CancellationToken ct) => UploadAsync(ImportKinds.Residents, file, http, db, queue, time, ct);

    public static async Task<Results<Accepted<ImportJobDto>, ValidationProblem>> UploadAsync(string kind, IFormFile? file, HttpContext http,
        PopulationDbContext db, Importer queue, TimeProvider time, CancellationToken ct)
    {
        if (file is null || file.Length == 0) return Problems.Field("file", "请上传 .xlsx 或 .csv 文件", "upload an .xlsx or .csv file");
        if (file.Length > Importer.MaxFileBytes) return Problems.Field("file", "文件超过 200 MB", "the file is larger than 200 MB");
        if (!file.FileName.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase) && !file.FileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            return Problems.Field("file", "仅支持 .xlsx 或 .csv 文件", "only .xlsx and .csv files are accepted");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, ct);
        var job = await queue.SubmitAsync(db, kind, file.FileName, buffer.ToArray(), http.User.RequiredScope(), Actor.From(http),
            time.GetUtcNow().UtcDateTime, ct);
        return TypedResults.Accepted($"/api/v1/imports/{job.Id}", queue.ToDto(job));
    }

    private static async Task<Results<Ok<ImportJobDto>, ProblemHttpResult>> Get(long jobId, HttpContext http, PopulationDbContext db, Importer queue, CancellationToken ct)
    {
        var job = await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || !http.User.RequiredScope().Contains(job.RegionPath))
            return Problems.NotFound("导入任务不存在或不在您的辖区内", "Import not found or outside your area");
        return TypedResults.Ok(queue.ToDto(job));
    }

    /// <summary>Queues an interrupted job again (its file is still stored).</summary>
    private static async Task<Results<Accepted<ImportJobDto>, ProblemHttpResult>> Resume(long jobId, HttpContext http, PopulationDbContext db,
        Importer queue, CancellationToken ct)
    {
        var job = await queue.ResumeAsync(db, jobId, http.User.RequiredScope(), ct);
        if (job is null) return Problems.NotFound("没有可继续的导入任务（不存在、不在您的辖区内或未中断）", "No interrupted import with this id in your area");
        return TypedResults.Accepted($"/api/v1/imports/{job.Id}", queue.ToDto(job));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Errors(long jobId, HttpContext http, PopulationDbContext db, CancellationToken ct)
    {
        var job = await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || !http.User.RequiredScope().Contains(job.RegionPath) || job.ErrorReport is null)
            return Problems.NotFound("没有该导入的错误报告", "No error report for this import");
        return TypedResults.File(job.ErrorReport, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"错误报告-{job.Id}.xlsx");
    }
}
