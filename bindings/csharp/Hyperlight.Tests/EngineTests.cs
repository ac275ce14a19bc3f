using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Engines: their options, several in one process, and their lifetime.</summary>
public sealed class EngineTests
{
    // SIGRTMAX on Linux (glibc and musl); SIGRTMIN is the default signal minus 5.
    private const int SigRtMax = 64;

    private static int SigRtMin => HyperlightLibrary.InterruptSignal - 5;

    private static uint MaxOffset => (uint)(SigRtMax - SigRtMin);

    private static Sandbox NewSandbox(Engine? engine) =>
        Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { Engine = engine });

    /// <summary>
    /// Runs Spin with a token cancelled after 20 ms and checks that the call
    /// was killed. A token that fired before the call started is refused
    /// without entering the guest (a busy machine): then it tries again.
    /// </summary>
    private static void CancelSpin(Sandbox sb)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
            try
            {
                sb.Call("Spin", cts.Token);
                Assert.Fail("Spin returned");
            }
            catch (OperationCanceledException) when (attempt < 10)
            {
                continue;
            }
            catch (HyperlightException e)
            {
                Assert.Equal(ErrorCode.Cancelled, e.Code);
                Assert.Equal(SandboxStatus.Poisoned, sb.Status);
                return;
            }
        }
    }

    /// <summary>Runs Spin on another thread and kills it with an interrupt handle.</summary>
    private static void KillSpin(Sandbox sb)
    {
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
        Assert.True(spinner.Join(TimeSpan.FromSeconds(20)), "the kill was missed");
        HyperlightException e = Assert.IsType<HyperlightException>(caught);
        Assert.Equal(ErrorCode.Cancelled, e.Code);
    }

    /// <summary>Runs the actions at once on pool threads; rethrows the first failure.</summary>
    private static void RunConcurrently(params Action[] actions)
    {
        var tasks = new Task[actions.Length];
        for (int i = 0; i < actions.Length; i++)
        {
            tasks[i] = Task.Factory.StartNew(actions[i], CancellationToken.None, TaskCreationOptions.LongRunning,
                                             TaskScheduler.Default);
        }
        Assert.True(Task.WaitAll(tasks, TimeSpan.FromSeconds(60)), "the actions did not finish within 60 s");
    }

    [Fact]
    public void InterruptSignals()
    {
        Assert.True(HyperlightLibrary.InterruptSignal > 5);
        using (var defaults = new Engine())
        {
            Assert.Equal(HyperlightLibrary.InterruptSignal, defaults.InterruptSignal);
        }
        using (var empty = new Engine(new EngineOptions()))
        {
            Assert.Equal(HyperlightLibrary.InterruptSignal, empty.InterruptSignal);
        }
        foreach (uint offset in new[] { 1u, 3u, MaxOffset })
        {
            var engine = new Engine(new EngineOptions { InterruptSignalOffset = offset });
            engine.Dispose();
            Assert.Equal(SigRtMin + (int)offset, engine.InterruptSignal); // also once disposed
        }
    }

    [Fact]
    public void BadOptionsThrowWithTheErrorCode()
    {
        var bad = new[]
        {
            new EngineOptions { VmPoolSize = 65 },
            new EngineOptions { VmPoolSize = uint.MaxValue },
            new EngineOptions { InterruptSignalOffset = MaxOffset + 1 },
            new EngineOptions { InterruptSignalOffset = 1u << 31 },
            new EngineOptions { InterruptRetryDelay = TimeSpan.Zero },
            new EngineOptions { InterruptRetryDelay = TimeSpan.FromTicks(1) }, // 100 ns
            new EngineOptions { InterruptRetryDelay = TimeSpan.FromMilliseconds(100) + TimeSpan.FromTicks(1) },
            new EngineOptions { InterruptRetryDelay = TimeSpan.FromHours(1) },
            // The first bad option fails, whatever the others are.
            new EngineOptions { VmPoolSize = 1, InterruptSignalOffset = 6, InterruptRetryDelay = TimeSpan.FromTicks(1) },
        };
        foreach (EngineOptions options in bad)
        {
            var e = Assert.Throws<HyperlightException>(() => new Engine(options));
            Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        }
        // Refused by the options themselves.
        Assert.Throws<ArgumentOutOfRangeException>(() => new EngineOptions { InterruptSignalOffset = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new EngineOptions { InterruptRetryDelay = TimeSpan.FromTicks(-1) });

        var good = new[]
        {
            new EngineOptions { VmPoolSize = 0 },
            new EngineOptions { VmPoolSize = 64 },
            new EngineOptions { InterruptSignalOffset = MaxOffset },
            new EngineOptions { InterruptRetryDelay = TimeSpan.FromMicroseconds(1) },
            new EngineOptions { InterruptRetryDelay = TimeSpan.FromMilliseconds(100) },
        };
        foreach (EngineOptions options in good)
        {
            new Engine(options).Dispose();
        }
    }

    /// <summary>
    /// Two engines with their own pool sizes, signals and retry delays serve
    /// sandboxes side by side with the default engine's: cancellation, kills
    /// and time limits work in each, at once, and reach only their own calls.
    /// </summary>
    [Fact]
    public void TwoEnginesWithDifferentSignalsAreBothKillable()
    {
        using var a = new Engine(new EngineOptions { VmPoolSize = 0, InterruptSignalOffset = 6 });
        using var b = new Engine(new EngineOptions
        {
            VmPoolSize = 4,
            InterruptSignalOffset = 8,
            InterruptRetryDelay = TimeSpan.FromMicroseconds(50),
        });
        Assert.Equal(SigRtMin + 6, a.InterruptSignal);
        Assert.Equal(SigRtMin + 8, b.InterruptSignal);

        using Sandbox sbA = NewSandbox(a);
        using Sandbox sbB = NewSandbox(b);
        using Snapshot snapA = sbA.Snapshot();
        using Snapshot snapB = sbB.Snapshot();

        // A bystander on the default engine calls throughout: no kill of
        // another engine may reach it.
        using Sandbox bystander = NewSandbox(null);
        using var stop = new CancellationTokenSource();
        long bystanderCalls = 0;
        Exception? bystanderFailure = null;
        var bystanderThread = new Thread(() =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    Assert.Equal(3, bystander.Call<int>("Add", 1, 2));
                    Interlocked.Increment(ref bystanderCalls);
                }
            }
            catch (Exception e)
            {
                bystanderFailure = e;
            }
        });
        bystanderThread.Start();
        try
        {
            // Cancellation on both engines at once.
            RunConcurrently(() => CancelSpin(sbA), () => CancelSpin(sbB));

            // Each engine's timer serves its sandboxes' time limits.
            foreach (Sandbox sb in new[] { sbA, sbB })
            {
                sb.Restore(snapA);
                var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin", TimeSpan.FromMilliseconds(50)));
                Assert.Equal(ErrorCode.Timeout, e.Code);
            }
            sbA.Restore(snapA);

            // Sandboxes from snapshots, also across engines (a snapshot belongs
            // to no engine), disposed and made again so that each engine's
            // pool and warm sandboxes (none for a, up to 4 for b) are used.
            for (int round = 0; round < 3; round++)
            {
                using Sandbox fromA = Sandbox.FromSnapshot(snapA, new SandboxOptions { Engine = b });
                using Sandbox fromB = Sandbox.FromSnapshot(snapB, new SandboxOptions { Engine = a });
                Assert.Equal(42, fromA.Call<int>("Add", 40, 2));
                Assert.Equal(42, fromB.Call<int>("Add", 40, 2));
                RunConcurrently(() => KillSpin(fromA), () => KillSpin(fromB), () => CancelSpin(sbA));
                sbA.Restore(snapA);
            }
        }
        finally
        {
            stop.Cancel();
            bystanderThread.Join();
        }
        Assert.Null(bystanderFailure);
        Assert.True(Interlocked.Read(ref bystanderCalls) > 0, "the bystander made no calls");
    }

    /// <summary>
    /// Disposing an engine drops only its own reference: its sandboxes, one of
    /// them in a call, keep working (calls, kills, time limits, restores), and
    /// the engine stops when the last of them is disposed.
    /// </summary>
    [Fact]
    public void DisposingAnEngineKeepsItsSandboxesWorking()
    {
        var engine = new Engine(new EngineOptions { VmPoolSize = 1, InterruptSignalOffset = 7 });
        int signal = engine.InterruptSignal;
        var options = new SandboxOptions { Engine = engine };
        Sandbox sb = Sandbox.FromFile(TestGuests.Simple, options);
        using Snapshot snap = sb.Snapshot();
        Sandbox other = Sandbox.FromSnapshot(snap, options);
        using InterruptHandle handle = sb.GetInterruptHandle();
        try
        {
            // Dispose while a call of one of its sandboxes runs, then kill it.
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
            Thread.Sleep(20);
            engine.Dispose();
            engine.Dispose();
            DateTime giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (spinner.IsAlive && DateTime.UtcNow < giveUp && handle.Kill() != KillResult.Interrupted)
            {
                Thread.Sleep(1);
            }
            Assert.True(spinner.Join(TimeSpan.FromSeconds(20)), "the kill was missed");
            Assert.Equal(ErrorCode.Cancelled, Assert.IsType<HyperlightException>(caught).Code);
            Assert.Equal(signal, engine.InterruptSignal);

            // Both sandboxes work on.
            foreach (Sandbox s in new[] { sb, other })
            {
                s.Restore(snap);
                Assert.Equal(3, s.Call<int>("Add", 1, 2));
                var e = Assert.Throws<HyperlightException>(() => s.Call("Spin", TimeSpan.FromMilliseconds(50)));
                Assert.Equal(ErrorCode.Timeout, e.Code);
                s.Restore(snap);
            }
            RunConcurrently(() => CancelSpin(sb), () => KillSpin(other));

            // A disposed engine makes no new sandboxes.
            Assert.Throws<ObjectDisposedException>(() => Sandbox.FromFile(TestGuests.Simple, options));
            Assert.Throws<ObjectDisposedException>(() => Sandbox.FromSnapshot(snap, options));

            // The last sandbox's Dispose stops the engine.
            other.Dispose();
            sb.Restore(snap);
            Assert.Equal(5, sb.Call<int>("Add", 2, 3));
            sb.Dispose();
            Assert.Equal(KillResult.SandboxGone, handle.Kill());
        }
        finally
        {
            other.Dispose();
            sb.Dispose();
            engine.Dispose();
        }
    }

    /// <summary>
    /// <see cref="EngineOptions.VmPoolSize"/> also caps the disposed sandboxes
    /// an engine keeps for the next <see cref="Sandbox.FromSnapshot"/>: whatever
    /// the size, each such sandbox starts clean.
    /// </summary>
    [Fact]
    public void VmPoolSizeOfAnEngine()
    {
        using Sandbox source = NewSandbox(null);
        using Snapshot snap = source.Snapshot();
        foreach (uint size in new[] { 0u, 1u, 4u })
        {
            using var engine = new Engine(new EngineOptions { VmPoolSize = size });
            for (int round = 0; round < 3; round++)
            {
                using Sandbox sb = Sandbox.FromSnapshot(snap, new SandboxOptions { Engine = engine });
                sb.Register("HostAdd", (Func<int, int, int>)((x, y) => x * 10 + y));
                Assert.Equal(42, sb.Call<int>("AddViaHost", 4, 2));
                Assert.Equal(0UL, sb.CounterValue);
                sb.CounterIncrement();
            }
        }
    }
}
