using System;
using System.Threading;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>
/// Kills spinning guests while other threads force garbage collections (CoreCLR
/// suspends threads with signals of its own) and a bystander sandbox keeps
/// making short calls. Every kill must land (no missed kill, bounded time) and
/// no bystander call may fail (no false kill). Twenty rounds per run; the
/// killed sandboxes take turns between the default engine and one with another
/// signal, while the bystander uses the default engine.
/// </summary>
public sealed class RuntimeKillTests
{
    [Fact]
    public void KillsLandWhileTheGarbageCollectorRuns()
    {
        string guest = TestGuests.Simple;
        using var stop = new CancellationTokenSource();
        var collectors = new Thread[2];
        for (int i = 0; i < collectors.Length; i++)
        {
            collectors[i] = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var garbage = new byte[64][];
                    for (int j = 0; j < garbage.Length; j++)
                    {
                        garbage[j] = new byte[64 * 1024];
                    }
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                }
            });
            collectors[i].Start();
        }

        using var engine = new Engine(new EngineOptions { InterruptSignalOffset = 11 });
        long bystanderCalls = 0, bystanderFailures = 0;
        using Sandbox bystander = Sandbox.FromFile(guest);
        var bystanderThread = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    bystander.Call("Add", 1, 2);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref bystanderFailures);
                }
                Interlocked.Increment(ref bystanderCalls);
            }
        });
        bystanderThread.Start();

        try
        {
            for (int round = 0; round < 20; round++)
            {
                using Sandbox sb = Sandbox.FromFile(guest, new SandboxOptions { Engine = round % 2 == 1 ? engine : null });
                using InterruptHandle handle = sb.GetInterruptHandle();
                Exception? caught = null;
                var spinner = new Thread(() =>
                {
                    try
                    {
                        sb.Call("Spin");
                    }
                    catch (Exception e)
                    {
                        caught = e;
                    }
                });
                spinner.Start();
                DateTime giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(20);
                while (spinner.IsAlive && DateTime.UtcNow < giveUp && handle.Kill() != KillResult.Interrupted)
                {
                    Thread.Sleep(1);
                }
                Assert.True(spinner.Join(TimeSpan.FromSeconds(20)), $"round {round}: the kill was missed");
                HyperlightException e = Assert.IsType<HyperlightException>(caught);
                Assert.Equal(ErrorCode.Cancelled, e.Code);
            }
        }
        finally
        {
            stop.Cancel();
            bystanderThread.Join();
            foreach (Thread t in collectors)
            {
                t.Join();
            }
        }
        Assert.Equal(0, Interlocked.Read(ref bystanderFailures));
        Assert.True(Interlocked.Read(ref bystanderCalls) > 0, "the bystander made no calls");
    }
}
