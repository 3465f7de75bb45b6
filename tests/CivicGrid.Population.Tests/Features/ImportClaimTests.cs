using System.Text;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Import;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace CivicGrid.Population.Tests.Features;

/// <summary>With several nodes on one database, each queued import is run by exactly one node, and only abandoned ones are interrupted.</summary>
public class ImportClaimTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    /// <summary>A worker standing for another node of the cluster (its own node id, the same database).</summary>
    private ImportWorker Node(string id) => new(factory.Services.GetRequiredService<IServiceScopeFactory>(), factory.Services.GetRequiredService<Importer>(),
        factory.Time, new JobOptions { NodeId = id }, NullLogger<ImportWorker>.Instance);

    private Task<long> StoreAsync(ImportStatus status, string? claimedBy = null, DateTime? leaseUntil = null) => factory.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<PopulationDbContext>();
        var job = new ImportJob
        {
            FileName = "claim.csv", Content = Encoding.UTF8.GetBytes("姓名,身份证号,门牌码\n"), RegionPath = "/9999/", RegionId = -1, UserName = "test",
            Status = status, CreatedAt = factory.Time.GetUtcNow().UtcDateTime, ClaimedBy = claimedBy, LeaseUntil = leaseUntil,
        };
        db.ImportJobs.Add(job);
        await db.SaveChangesAsync();
        return job.Id;
    });

    private Task<ImportJob> LoadAsync(long id) =>
        factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().ImportJobs.AsNoTracking().FirstAsync(j => j.Id == id));

    [Fact]
    public async Task Claim_ManyNodesAtOnce_ExactlyOneGetsEachJob()
    {
        var nodes = Enumerable.Range(1, 4).Select(n => Node($"node-{n}")).ToList();
        for (var round = 0; round < 5; round++)
        {
            var id = await StoreAsync(ImportStatus.Queued);
            var claims = await Task.WhenAll(nodes.Select(node => factory.WithScopeAsync(sp => node.ClaimAsync(sp.GetRequiredService<PopulationDbContext>(), id, default))));
            Assert.Equal(1, claims.Count(c => c));
            var job = await LoadAsync(id);
            Assert.Equal(ImportStatus.Running, job.Status);
            Assert.Equal($"node-{Array.IndexOf(claims, true) + 1}", job.ClaimedBy);
            Assert.Equal(factory.Time.GetUtcNow().UtcDateTime + ImportWorker.Lease, job.LeaseUntil);
        }
    }

    [Fact]
    public async Task Restore_LiveNodesJobStays_DeadNodesAndOwnJobsAreInterrupted()
    {
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var live = await StoreAsync(ImportStatus.Running, "node-live", now.AddMinutes(1));
        var dead = await StoreAsync(ImportStatus.Running, "node-dead", now.AddSeconds(-1));
        var own = await StoreAsync(ImportStatus.Running, "node-restarted", now.AddMinutes(1));

        await Node("node-restarted").RestoreAsync(default);

        Assert.Equal(ImportStatus.Running, (await LoadAsync(live)).Status);
        Assert.Equal(ImportStatus.Interrupted, (await LoadAsync(dead)).Status);
        Assert.Equal(ImportWorker.InterruptedMessage, (await LoadAsync(dead)).Message);
        Assert.Equal(ImportStatus.Interrupted, (await LoadAsync(own)).Status);
    }

    [Fact]
    public async Task Restore_ClaimOfADeadProcessOnThisMachine_IsInterruptedBeforeItsLeaseRunsOut()
    {
        // A node restarted on the same machine has a new default id (host:pid); the old process's claim is abandoned at
        // once, while a live process of this machine (this test's own) keeps its job.
        int deadPid;
        using (var gone = System.Diagnostics.Process.Start("true")!)
        {
            await gone.WaitForExitAsync();
            deadPid = gone.Id;
        }
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var dead = await StoreAsync(ImportStatus.Running, $"{Environment.MachineName}:{deadPid}", now.AddMinutes(1));
        var alive = await StoreAsync(ImportStatus.Running, $"{Environment.MachineName}:{Environment.ProcessId}", now.AddMinutes(1));
        var elsewhere = await StoreAsync(ImportStatus.Running, $"another-host:{deadPid}", now.AddMinutes(1));

        await Node("node-after-restart").RestoreAsync(default);

        Assert.Equal(ImportStatus.Interrupted, (await LoadAsync(dead)).Status);
        Assert.Equal(ImportStatus.Running, (await LoadAsync(alive)).Status);
        Assert.Equal(ImportStatus.Running, (await LoadAsync(elsewhere)).Status);
    }

    [Fact]
    public async Task LeaseSweep_NodeStoppedRenewing_JobIsInterruptedOnceTheLeaseRunsOut()
    {
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var job = await StoreAsync(ImportStatus.Running, "node-gone", now + ImportWorker.Lease);
        var sweep = factory.Services.GetRequiredService<ImportLeaseSweep>();

        await sweep.RunAsync(Acting.Job(ImportLeaseSweep.JobKey), default);
        Assert.Equal(ImportStatus.Running, (await LoadAsync(job)).Status);

        factory.Time.Advance(ImportWorker.Lease + TimeSpan.FromSeconds(1));
        await sweep.RunAsync(Acting.Job(ImportLeaseSweep.JobKey), default);
        Assert.Equal(ImportStatus.Interrupted, (await LoadAsync(job)).Status);
        // Idempotent: a second sweep changes nothing more.
        await sweep.RunAsync(Acting.Job(ImportLeaseSweep.JobKey), default);
        Assert.Equal(ImportStatus.Interrupted, (await LoadAsync(job)).Status);
    }

    [Fact]
    public async Task Worker_JobClaimedByAnotherNode_IsNotRunHere()
    {
        var id = await StoreAsync(ImportStatus.Queued);
        Assert.True(await factory.WithScopeAsync(sp => Node("node-other").ClaimAsync(sp.GetRequiredService<PopulationDbContext>(), id, default)));
        var worker = factory.Services.GetServices<IHostedService>().OfType<ImportWorker>().Single();

        await worker.RunAsync(id, default);

        var job = await LoadAsync(id);
        Assert.Equal(ImportStatus.Running, job.Status);
        Assert.Equal("node-other", job.ClaimedBy);
        Assert.NotNull(job.Content);
    }
}
