using CivicGrid.Kernel.Messaging;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features.Messaging;

public class ClusterSignalTests
{
    /// <summary>A second web node on the first one's database.</summary>
    private sealed class SecondNode(string connectionString) : PlatformFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:Database:ConnectionString", connectionString);
            builder.UseSetting("CivicGrid:Jobs:NodeId", "node-b");
        }
    }

    private sealed class FirstNode : PlatformFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:Jobs:NodeId", "node-a");
        }
    }

    [Fact]
    public async Task AlertSignal_PublishedOnOneNode_ReachesSubscribersHere_AndOnTheOtherNode()
    {
        using var a = new FirstNode();
        var here = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Services.GetRequiredService<ClusterSignal>().Subscribe("antifraud.alerts", p => here.TrySetResult(p));
        if (!PlatformFactory.OnPostgres)
        {
            // SQLite is one node: the local subscribers hear it at once.
            await a.Services.GetRequiredService<ClusterSignal>().PublishAsync("antifraud.alerts", "/330109/a", default);
            Assert.Equal("/330109/a", await here.Task.WaitAsync(TimeSpan.FromSeconds(5)));
            return;
        }
        using var b = new SecondNode(a.ConnectionString);
        var there = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var signalB = b.Services.GetRequiredService<ClusterSignal>();
        signalB.Subscribe("antifraud.alerts", p => there.TrySetResult(p));
        await b.Services.GetRequiredService<ClusterListener>().Listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await a.Services.GetRequiredService<ClusterSignal>().PublishAsync("antifraud.alerts", "/330109/a,/330109/b", default);
        Assert.Equal("/330109/a,/330109/b", await here.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("/330109/a,/330109/b", await there.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
