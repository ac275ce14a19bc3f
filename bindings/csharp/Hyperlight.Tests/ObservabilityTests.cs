using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Threading;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Shared helpers of the observability tests.</summary>
internal static class Observe
{
    /// <summary>An engine name no other test uses, so its measurements can be told apart.</summary>
    internal static string UniqueEngineName() => "test-" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Runs Spin on another thread and kills it with an interrupt handle.
    /// Returns how many kills found no call running (the retries before the
    /// call entered the guest): the engine counts those as stale.
    /// </summary>
    internal static int KillSpin(Sandbox sb)
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
        int stale = 0;
        DateTime giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < giveUp)
        {
            if (handle.Kill() == KillResult.Interrupted)
            {
                break;
            }
            stale++;
            Thread.Sleep(1);
        }
        Assert.True(spinner.Join(TimeSpan.FromSeconds(20)), "the kill was missed");
        HyperlightException e = Assert.IsType<HyperlightException>(caught);
        Assert.Equal(ErrorCode.Cancelled, e.Code);
        return stale;
    }

    internal static ErrorCode CodeOf(Action call) => Assert.Throws<HyperlightException>(call).Code;
}

/// <summary>
/// Engine metrics (hl_engine_metrics, hl_engine_metrics_write_prometheus): each
/// test has an engine of its own, so its counts are exact whatever else runs.
/// </summary>
public sealed class EngineMetricsTests
{
    [Fact]
    public void CountersMoveExactly()
    {
        // No pool and no kept sandboxes: FromSnapshot always makes a new VM.
        using var engine = new Engine(new EngineOptions { VmPoolSize = 0, Name = Observe.UniqueEngineName() });
        var options = new SandboxOptions { Engine = engine };
        int staleKills = 0;
        Sandbox sb = Sandbox.FromFile(TestGuests.Simple, options);
        using Snapshot clean = sb.Snapshot();

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(i + 2, sb.Call<int>("Add", i, 2));
        }
        for (int i = 0; i < 3; i++)
        {
            staleKills += Observe.KillSpin(sb);
            sb.Restore(clean);
        }
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(ErrorCode.Timeout, Observe.CodeOf(() => sb.Call("Spin", TimeSpan.FromMilliseconds(50))));
            sb.Restore(clean);
        }
        using (InterruptHandle idle = sb.GetInterruptHandle())
        {
            Assert.Equal(KillResult.NotRunning, idle.Kill());
            staleKills++;
        }

        EngineMetrics m = engine.GetMetrics();
        Assert.Equal(10UL, m.Calls);
        Assert.Equal(5UL, m.CallFailures);
        Assert.Equal(3UL, m.FailuresByCode[ErrorCode.Cancelled]);
        Assert.Equal(2UL, m.FailuresByCode[ErrorCode.Timeout]);
        Assert.Equal(2, m.FailuresByCode.Count);
        Assert.Equal(3UL, m.Kills);
        Assert.Equal((ulong)staleKills, m.StaleKills);
        Assert.Equal(5UL, m.Restores);
        Assert.True(m.PagesRestored >= 5, $"{m.PagesRestored} pages restored");
        Assert.True(m.VmExits >= 5, $"{m.VmExits} VM exits"); // at least each successful call's end
        Assert.Equal(0UL, m.HostCalls);
        Assert.Equal(1UL, m.SandboxesCreated[SandboxOrigin.Cold]);
        Assert.Equal(0UL, m.SandboxesCreated[SandboxOrigin.Snapshot]);
        Assert.Equal(0UL, m.SandboxesDeleted);
        Assert.Equal(1UL, m.SandboxesAlive);
        Assert.Equal(10UL, m.CallDuration.Count);
        Assert.Equal(10UL, m.CallDuration.Buckets.Aggregate(0UL, (sum, b) => sum + b.Count));
        Assert.True(m.CallDuration.Sum >= TimeSpan.FromMilliseconds(100), $"calls took {m.CallDuration.Sum}");
        Assert.Equal(5UL, m.RestoreDuration.Count);
        Assert.Equal(1UL, m.CreateDuration.Count);

        string text = engine.GetPrometheusText();
        Assert.Matches(new Regex(@"^hyperlight_calls_total(\{[^}]*\})? 10$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^hyperlight_kills_total(\{[^}]*\})? 3$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^hyperlight_call_failures_total\{[^}]*code=""TIMEOUT""[^}]*\} 2$",
                                 RegexOptions.Multiline), text);

        using (Sandbox fromSnapshot = Sandbox.FromSnapshot(clean, options))
        {
            Assert.Equal(3, fromSnapshot.Call<int>("Add", 1, 2));
        }
        sb.Dispose();
        m = engine.GetMetrics();
        Assert.Equal(1UL, m.SandboxesCreated[SandboxOrigin.Snapshot]);
        Assert.Equal(2UL, m.SandboxesDeleted);
        Assert.Equal(0UL, m.SandboxesAlive);
        Assert.Equal(11UL, m.Calls);
        Assert.Equal(2UL, m.CreateDuration.Count);
    }

    [Fact]
    public void SandboxesFromThePoolAndKeptSandboxesAreCountedByOrigin()
    {
        using var engine = new Engine(new EngineOptions { VmPoolSize = 1, Name = Observe.UniqueEngineName() });
        var options = new SandboxOptions { Engine = engine };
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, options);
        ulong made = 0;
        // The pool is refilled and disposed sandboxes are scrubbed in the
        // background: go on until both origins were seen.
        for (int round = 0; round < 100; round++)
        {
            using Snapshot snapshot = sb.Snapshot(); // new each round: nothing kept for it yet
            for (int i = 0; i < 2; i++)
            {
                using Sandbox fresh = Sandbox.FromSnapshot(snapshot, options);
                made++;
                Assert.Equal(3, fresh.Call<int>("Add", 1, 2));
                fresh.Dispose();
                Thread.Sleep(20);
            }
            EngineMetrics now = engine.GetMetrics();
            if (now.SandboxesCreated[SandboxOrigin.Pool] > 0 && now.SandboxesCreated[SandboxOrigin.Spare] > 0)
            {
                break;
            }
        }
        EngineMetrics m = engine.GetMetrics();
        Assert.Equal(1UL, m.SandboxesCreated[SandboxOrigin.Cold]);
        Assert.True(m.SandboxesCreated[SandboxOrigin.Pool] > 0, "no sandbox came from the pool");
        Assert.True(m.SandboxesCreated[SandboxOrigin.Spare] > 0, "no kept sandbox was reused");
        Assert.Equal(made, m.SandboxesCreated[SandboxOrigin.Snapshot] + m.SandboxesCreated[SandboxOrigin.Pool] +
                           m.SandboxesCreated[SandboxOrigin.Spare]);
        Assert.Equal(made, m.SandboxesDeleted);
        Assert.Equal(made + 1, m.CreateDuration.Count);
        Assert.Matches(new Regex(@"^hyperlight_sandboxes_created_total\{[^}]*origin=""cold""[^}]*\} 1$",
                                 RegexOptions.Multiline), engine.GetPrometheusText());
    }

    [Fact]
    public void HostCallsAndCallStatsAgree()
    {
        using var engine = new Engine(new EngineOptions { Name = Observe.UniqueEngineName() });
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { Engine = engine });
        sb.Register("HostAdd", (int a, int b) => a + b);
        Assert.Equal(7, sb.Call<int>("CountViaHost", null, out CallStats stats, 7));
        Assert.Equal(7UL, stats.HostCalls);
        Assert.True(stats.VmExits >= 8, $"{stats.VmExits} VM exits"); // each host call, and the end
        Assert.True(stats.Wall > TimeSpan.Zero);
        Assert.True(stats.GuestCpu > TimeSpan.Zero);
        Assert.True(stats.GuestCpu <= stats.Wall, $"{stats.GuestCpu} CPU in {stats.Wall}");
        Assert.Equal(TimeSpan.Zero, stats.Restore);
        Assert.Equal(0UL, stats.PagesRestored);
        Assert.Equal(0UL, stats.PrintBytes);

        EngineMetrics m = engine.GetMetrics();
        Assert.Equal(7UL, m.HostCalls);
        Assert.True(m.VmExits >= stats.VmExits);
        Assert.Equal(1UL, m.Calls);
    }

    [Fact]
    public void CallAndRestoreReportsItsRestore()
    {
        using var engine = new Engine(new EngineOptions { Name = Observe.UniqueEngineName() });
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { Engine = engine });
        using Snapshot clean = sb.Snapshot();
        Assert.Equal(42, sb.CallAndRestore<int>(clean, "Add", null, out CallStats stats, 40, 2));
        Assert.True(stats.PagesRestored >= 1, $"{stats.PagesRestored} pages"); // the call wrote its stack
        Assert.True(stats.Restore > TimeSpan.Zero);
        Assert.True(stats.Wall >= stats.Restore);

        // A failed request: the stats travel with the exception, and the sandbox was restored.
        var e = Assert.Throws<HyperlightException>(() => sb.CallAndRestore(
            clean, "Spin", new CallOptions { Timeout = TimeSpan.FromMilliseconds(50) }, out _));
        Assert.Equal(ErrorCode.Timeout, e.Code);
        CallStats failed = Assert.NotNull(e.Stats);
        Assert.True(failed.Wall >= TimeSpan.FromMilliseconds(50), $"{failed.Wall}");
        Assert.True(failed.PagesRestored >= 1);
        Assert.Equal(SandboxStatus.Ready, sb.Status);

        EngineMetrics m = engine.GetMetrics();
        Assert.Equal(2UL, m.Restores);
        Assert.Equal(stats.PagesRestored + failed.PagesRestored, m.PagesRestored);
    }

    [Fact]
    public void PlainCallsFailWithoutStats()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple);
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin", TimeSpan.FromMilliseconds(20)));
        Assert.Null(e.Stats);
    }

    [Fact]
    public void TheDefaultEnginesMetrics()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple); // the default engine
        EngineMetrics before = HyperlightLibrary.GetMetrics();
        sb.Call("Add", 1, 2);
        EngineMetrics after = HyperlightLibrary.GetMetrics();
        // Other tests use the default engine at the same time: at least this call.
        Assert.True(after.Calls >= before.Calls + 1, $"{before.Calls} -> {after.Calls}");
        Assert.True(after.SandboxesCreated.Values.Aggregate(0UL, (a, b) => a + b) >= 1);
        Assert.Contains("hyperlight_calls_total", HyperlightLibrary.GetPrometheusText());
    }

    [Fact]
    public void HistogramBucketsComeFromTheLibrary()
    {
        using var engine = new Engine(new EngineOptions { Name = Observe.UniqueEngineName() });
        DurationHistogram h = engine.GetMetrics().CallDuration;
        Assert.Equal(0UL, h.Count);
        Assert.Equal(20, h.Buckets.Count);
        Assert.Equal(TimeSpan.FromMicroseconds(5), h.Buckets[0].UpperBound);
        Assert.Equal(TimeSpan.FromSeconds(10), h.Buckets[^2].UpperBound);
        Assert.Equal(TimeSpan.MaxValue, h.Buckets[^1].UpperBound); // +Inf
        for (int i = 1; i < h.Buckets.Count; i++)
        {
            Assert.True(h.Buckets[i].UpperBound > h.Buckets[i - 1].UpperBound);
        }
    }

    [Fact]
    public void TheStructsMatchTheCAbi()
    {
        Assert.Equal(AbiInfo.HlCallOptionsSize, Unsafe.SizeOf<HlCallOptions>());
        Assert.Equal(AbiInfo.HlCallStatsSize, Unsafe.SizeOf<HlCallStats>());
        Assert.Equal(AbiInfo.HlMetricsSize, Unsafe.SizeOf<HlMetrics>());
        Assert.Equal(16, (int)Marshal.OffsetOf<HlCallOptions>(nameof(HlCallOptions.CpuBudgetNs)));
        Assert.Equal(64, (int)Marshal.OffsetOf<HlCallStats>(nameof(HlCallStats.PrintBytesDropped)));
        Assert.Equal(120, (int)Marshal.OffsetOf<HlMetrics>(nameof(HlMetrics.FailuresByCode)));
        Assert.Equal(1000, (int)Marshal.OffsetOf<HlMetrics>(nameof(HlMetrics.CreateDurationBuckets)));
    }

    [Fact]
    public void EnginesAreNamed()
    {
        using var named = new Engine(new EngineOptions { Name = "tenant-a" });
        using var unnamed = new Engine();
        Assert.Equal("tenant-a", named.Name);
        Assert.Matches("^engine-[0-9]+$", unnamed.Name);
        unnamed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => unnamed.GetMetrics());
        Assert.Throws<ObjectDisposedException>(() => unnamed.GetPrometheusText());
    }
}

/// <summary>CPU budgets (hl_config_set_call_cpu_budget_ns, per-call options).</summary>
public sealed class CpuBudgetTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(50);

    // A wall-clock limit far past the budget, so that a budget that did not
    // apply fails the test (with Timeout) instead of spinning forever.
    private static readonly TimeSpan Backstop = TimeSpan.FromSeconds(10);

    [Fact]
    public void SpinOverTheSandboxesBudgetFails()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple,
                                            new SandboxOptions { CallCpuBudget = Budget, CallTimeout = Backstop });
        Assert.Equal(5, sb.Call<int>("Add", 2, 3)); // well within it
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin", null, out _));
        Assert.Equal(ErrorCode.CpuBudgetExceeded, e.Code);
        Assert.True(clock.Elapsed < Backstop, $"stopped after {clock.Elapsed}");
        CallStats stats = Assert.NotNull(e.Stats);
        Assert.True(stats.GuestCpu >= Budget, $"{stats.GuestCpu} of guest CPU time");
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
    }

    [Fact]
    public void TimeInASlowHostFunctionDoesNotCount()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { CallCpuBudget = Budget });
        sb.Register("HostAdd", (int a, int b) =>
        {
            // At least 300 ms on the monotonic clock the library measures with.
            var slept = Stopwatch.StartNew();
            while (slept.Elapsed < TimeSpan.FromMilliseconds(300))
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(300) - slept.Elapsed + TimeSpan.FromMilliseconds(1));
            }
            return a + b;
        });
        Assert.Equal(42, sb.Call<int>("AddViaHost", null, out CallStats stats, 40, 2));
        Assert.True(stats.HostFunctions >= TimeSpan.FromMilliseconds(300), $"{stats.HostFunctions} in host functions");
        Assert.True(stats.GuestCpu < TimeSpan.FromMilliseconds(100), $"{stats.GuestCpu} of guest CPU time");
        Assert.True(stats.Wall >= stats.HostFunctions);
        Assert.Equal(1UL, stats.HostCalls);

        // The same under a per-call budget.
        Assert.Equal(5, sb.Call<int>("AddViaHost", new CallOptions { CpuBudget = Budget }, out stats, 2, 3));
        Assert.True(stats.HostFunctions >= TimeSpan.FromMilliseconds(300));
        Assert.Equal(SandboxStatus.Ready, sb.Status);
    }

    [Fact]
    public void PerCallSettingsOverrideTheSandboxes()
    {
        // No budget on the sandbox, one for this call.
        using (Sandbox sb = Sandbox.FromFile(TestGuests.Simple))
        {
            Assert.Equal(ErrorCode.CpuBudgetExceeded,
                         Observe.CodeOf(() => sb.Call("Spin", new CallOptions { CpuBudget = Budget, Timeout = Backstop },
                                                      out _)));
        }
        // A budget on the sandbox, none for this call: its time limit stops it instead.
        using (Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { CallCpuBudget = Budget }))
        {
            var settings = new CallOptions { CpuBudget = Timeout.InfiniteTimeSpan, Timeout = TimeSpan.FromMilliseconds(400) };
            var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin", settings, out _));
            Assert.Equal(ErrorCode.Timeout, e.Code);
            Assert.True(e.Stats!.Value.Wall >= TimeSpan.FromMilliseconds(400));
        }
        // Null properties keep the sandbox's: its budget, and its time limit.
        using (Sandbox sb = Sandbox.FromFile(TestGuests.Simple,
                                             new SandboxOptions { CallCpuBudget = Budget, CallTimeout = Backstop }))
        {
            Assert.Equal(ErrorCode.CpuBudgetExceeded, Observe.CodeOf(() => sb.Call("Spin", new CallOptions(), out _)));
        }
        using (Sandbox sb = Sandbox.FromFile(TestGuests.Simple,
                                             new SandboxOptions { CallTimeout = TimeSpan.FromMilliseconds(50) }))
        {
            Assert.Equal(ErrorCode.Timeout,
                         Observe.CodeOf(() => sb.Call("Spin", new CallOptions { CpuBudget = TimeSpan.FromHours(1) },
                                                      out _)));
        }
    }

    [Fact]
    public void BudgetsApplyToSandboxesMadeFromSnapshots()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple);
        using Snapshot snapshot = sb.Snapshot();
        using Sandbox fresh = Sandbox.FromSnapshot(snapshot,
                                                   new SandboxOptions { CallCpuBudget = Budget, CallTimeout = Backstop });
        Assert.Equal(ErrorCode.CpuBudgetExceeded, Observe.CodeOf(() => fresh.Call("Spin")));
    }

    [Fact]
    public void InvalidBudgetsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxOptions { CallCpuBudget = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxOptions { CallCpuBudget = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CallOptions { CpuBudget = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CallOptions { Timeout = TimeSpan.FromTicks(-1) });
        // None at all: accepted.
        Assert.Equal(Timeout.InfiniteTimeSpan, new SandboxOptions { CallCpuBudget = Timeout.InfiniteTimeSpan }.CallCpuBudget);
        Assert.Equal(TimeSpan.MaxValue, new CallOptions { CpuBudget = TimeSpan.MaxValue }.CpuBudget);
    }
}

/// <summary>Guest output to a TextWriter (hl_config_set_print_callback, hl_config_set_print_limit).</summary>
public sealed class PrintTests
{
    private const string Hello = "Hello from the guest!\n";

    [Fact]
    public void PrintsGoToTheWriter()
    {
        var output = new StringWriter();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { PrintWriter = output });
        sb.Call("PrintHello", null, out CallStats stats);
        Assert.Equal(Hello, output.ToString());
        Assert.Equal((ulong)Hello.Length, stats.PrintBytes);
        Assert.Equal(0UL, stats.PrintBytesDropped);
        sb.Call("PrintHello");
        Assert.Equal(Hello + Hello, output.ToString());
    }

    [Fact]
    public void ThePrintLimitCapsEachCall()
    {
        using var engine = new Engine(new EngineOptions { Name = Observe.UniqueEngineName() });
        var output = new StringWriter();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple,
                                            new SandboxOptions { Engine = engine, PrintWriter = output, PrintLimit = 5 });
        sb.Call("PrintHello", null, out CallStats stats);
        Assert.Equal("Hello", output.ToString());
        Assert.Equal((ulong)Hello.Length, stats.PrintBytes);
        Assert.Equal((ulong)Hello.Length - 5, stats.PrintBytesDropped);
        sb.Call("PrintHello");
        Assert.Equal("HelloHello", output.ToString()); // per call

        EngineMetrics m = engine.GetMetrics();
        Assert.Equal(2UL * (ulong)Hello.Length, m.PrintBytes);
        Assert.Equal(2UL * ((ulong)Hello.Length - 5), m.PrintBytesDropped);
    }

    [Fact]
    public void LongOutputIsWholeUpToTheDefaultLimit()
    {
        // sdkguest's PrintLong(n) printf's n letters a..z, a..: more than one print chunk.
        const int Printed = 100_000;
        const int DefaultLimit = 65536;
        var output = new StringWriter();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Sdk, new SandboxOptions { PrintWriter = output });
        Assert.Equal(Printed, sb.Call<int>("PrintLong", null, out CallStats stats, Printed));
        string text = output.ToString();
        Assert.Equal(DefaultLimit, text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            Assert.Equal((char)('a' + i % 26), text[i]);
        }
        Assert.Equal((ulong)Printed, stats.PrintBytes);
        Assert.Equal((ulong)(Printed - DefaultLimit), stats.PrintBytesDropped);
    }

    [Fact]
    public void ALimitOfZeroDropsEverything()
    {
        var output = new StringWriter();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { PrintWriter = output, PrintLimit = 0 });
        sb.Call("PrintHello", null, out CallStats stats);
        Assert.Equal("", output.ToString());
        Assert.Equal((ulong)Hello.Length, stats.PrintBytesDropped);
    }

    [Fact]
    public void SandboxesMadeFromSnapshotsPrintToTheirOwnWriter()
    {
        var first = new StringWriter();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { PrintWriter = first });
        using Snapshot snapshot = sb.Snapshot();
        var second = new StringWriter();
        using (Sandbox fresh = Sandbox.FromSnapshot(snapshot, new SandboxOptions { PrintWriter = second }))
        {
            fresh.Call("PrintHello");
        }
        Assert.Equal(Hello, second.ToString());
        Assert.Equal("", first.ToString());
    }

    [Fact]
    public void AKeptSandboxPrintsToItsNewOwnersWriter()
    {
        // Disposed sandboxes are kept and handed to the next FromSnapshot of
        // the same snapshot: the previous owner's writer (its GCHandle freed)
        // must not be called any more.
        using var engine = new Engine(new EngineOptions { VmPoolSize = 1, Name = Observe.UniqueEngineName() });
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { Engine = engine });
        using Snapshot snapshot = sb.Snapshot();
        var writers = new List<StringWriter>();
        // Until a few kept sandboxes were reused (they are scrubbed in the background).
        for (int round = 0; round < 200 && engine.GetMetrics().SandboxesCreated[SandboxOrigin.Spare] < 3; round++)
        {
            var output = new StringWriter();
            writers.Add(output);
            using (Sandbox fresh = Sandbox.FromSnapshot(snapshot, new SandboxOptions { Engine = engine, PrintWriter = output }))
            {
                fresh.Call("PrintHello");
            }
            GC.Collect();
            Thread.Sleep(20);
        }
        Assert.All(writers, w => Assert.Equal(Hello, w.ToString()));
        Assert.True(engine.GetMetrics().SandboxesCreated[SandboxOrigin.Spare] >= 3, "kept sandboxes were not reused");
    }

    [Fact]
    public void AThrowingWriterDoesNotFailTheCall()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { PrintWriter = new ThrowingWriter() });
        sb.Call("PrintHello");
        Assert.Equal(3, sb.Call<int>("Add", 1, 2));
    }

    [Fact]
    public void TheWriterIsKeptAliveByTheSandbox()
    {
        var output = new StringWriter();
        using Sandbox sb = MakeWithUnreferencedOptions(output);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        sb.Call("PrintHello");
        Assert.Equal(Hello, output.ToString());
    }

    // The options (and the sink built from them) are unreachable once this returns.
    private static Sandbox MakeWithUnreferencedOptions(TextWriter output) =>
        Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { PrintWriter = output });

    private sealed class ThrowingWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => throw new IOException("disk full");

        public override void Write(ReadOnlySpan<char> buffer) => throw new IOException("disk full");
    }
}
