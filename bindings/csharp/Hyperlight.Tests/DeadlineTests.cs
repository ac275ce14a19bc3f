using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Call time limits, sandbox status and the default interrupt signal (engines: <see cref="EngineTests"/>).</summary>
public sealed class DeadlineTests
{
    private static Sandbox NewSandbox(SandboxOptions? options = null) => Sandbox.FromFile(TestGuests.Simple, options);

    [Fact]
    public void PerCallTimeoutStopsSpinAndPoisons()
    {
        using Sandbox sb = NewSandbox();
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin", TimeSpan.FromMilliseconds(50)));
        Assert.Equal(ErrorCode.Timeout, e.Code);
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
        Assert.Equal(ErrorCode.Poisoned, Assert.Throws<HyperlightException>(() => sb.Call("Add", 1, 2)).Code);
    }

    [Fact]
    public void GenericCallWithTimeoutReturnsResult()
    {
        using Sandbox sb = NewSandbox();
        Assert.Equal(42, sb.Call<int>("Add", TimeSpan.FromSeconds(2), 40, 2));
        Assert.Equal(42, sb.Call<int>("Add", Timeout.InfiniteTimeSpan, 40, 2));
        Assert.Equal(SandboxStatus.Ready, sb.Status);
    }

    [Fact]
    public void InvalidTimeoutsAreRefused()
    {
        using Sandbox sb = NewSandbox();
        Assert.Throws<ArgumentOutOfRangeException>(() => sb.Call("Add", TimeSpan.Zero, 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => sb.Call("Add", TimeSpan.FromSeconds(-1), 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxOptions { CallTimeout = TimeSpan.Zero });
        Assert.Equal(SandboxStatus.Ready, sb.Status);
    }

    [Fact]
    public void OptionsCallTimeoutAppliesToSpin()
    {
        using Sandbox sb = NewSandbox(new SandboxOptions { CallTimeout = TimeSpan.FromMilliseconds(500) });
        Assert.Equal(SandboxStatus.Ready, sb.Status);
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin"));
        Assert.Equal(ErrorCode.Timeout, e.Code);
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
    }

    [Fact]
    public void ShortCallsUnderADefaultTimeoutSucceed()
    {
        using Sandbox sb = NewSandbox(new SandboxOptions { CallTimeout = TimeSpan.FromSeconds(2) });
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(i + 1, sb.Call<int>("Add", i, 1));
        }
        Assert.Equal(SandboxStatus.Ready, sb.Status);
    }

    [Fact]
    public void InitTimeoutStopsAGuestSpinningInItsInitialisation()
    {
        var options = new SandboxOptions
        {
            InitData = Encoding.ASCII.GetBytes("spin-in-init"),
            InitTimeout = TimeSpan.FromMilliseconds(100),
        };
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<HyperlightException>(() => Sandbox.FromFile(TestGuests.Hostile, options));
        clock.Stop();
        Assert.Equal(ErrorCode.Timeout, e.Code);
        Assert.Contains("hl_config_set_init_timeout_ns", e.Message);
        // Well below the library's default of 10 s: the 100 ms limit applied.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"creation took {clock.Elapsed}");

        // Other init data: the same guest starts, and the process is unharmed.
        options.InitData = Encoding.ASCII.GetBytes("spin-in-init?");
        options.InitTimeout = TimeSpan.FromSeconds(5);
        using (Sandbox hostile = Sandbox.FromFile(TestGuests.Hostile, options))
        {
            Assert.Equal(SandboxStatus.Ready, hostile.Status);
        }
        using Sandbox sb = NewSandbox();
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
    }

    [Fact]
    public void InitTimeoutValues()
    {
        Assert.Null(new SandboxOptions().InitTimeout); // the library's default (10 s)
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxOptions { InitTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxOptions { InitTimeout = TimeSpan.FromSeconds(-1) });

        // The call time limit does not bound the initialisation any more:
        // a limit of one tick (100 ns) still lets the guest start.
        using (Sandbox sb = NewSandbox(new SandboxOptions { CallTimeout = TimeSpan.FromTicks(1) }))
        {
            Assert.Equal(SandboxStatus.Ready, sb.Status);
        }
        using (Sandbox sb = Sandbox.FromBytes(File.ReadAllBytes(TestGuests.Simple),
                                              new SandboxOptions { InitTimeout = TimeSpan.FromSeconds(5) }))
        {
            Assert.Equal(42, sb.Call<int>("Add", 40, 2));
        }
    }

    // Limits too long for the library's clock mean none; TimeSpan.MaxValue used
    // to overflow into an immediate timeout.
    [Fact]
    public void HugeTimeLimitsMeanNone()
    {
        TimeSpan[] limits =
        {
            TimeSpan.MaxValue,
            TimeSpan.MaxValue - TimeSpan.FromTicks(1),
            TimeSpan.FromTicks((1L << 62) / 100 + 1), // just over 2^62 ns
            Timeout.InfiniteTimeSpan,
        };
        foreach (TimeSpan limit in limits)
        {
            using Sandbox sb = NewSandbox(new SandboxOptions { CallTimeout = limit, InitTimeout = limit });
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(i + 1, sb.Call<int>("Add", i, 1));
            }
            Assert.Equal(42, sb.Call<int>("Add", limit, 40, 2));
            Assert.Equal(SandboxStatus.Ready, sb.Status);
        }
        // A per-call TimeSpan.MaxValue on a sandbox without a default limit.
        using Sandbox plain = NewSandbox();
        Assert.Equal(3, plain.Call<int>("Add", TimeSpan.MaxValue, 1, 2));
        Assert.Equal(SandboxStatus.Ready, plain.Status);
    }

    [Fact]
    public void FreshSandboxIsReadyAndDisposedIsPoisoned()
    {
        Sandbox sb = NewSandbox();
        Assert.Equal(SandboxStatus.Ready, sb.Status);
        sb.Dispose();
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
    }

    [Fact]
    public void InterruptSignalIsPositive()
    {
        Assert.True(HyperlightLibrary.InterruptSignal > 0);
    }
}
