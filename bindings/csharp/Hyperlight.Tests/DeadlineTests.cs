using System;
using System.Threading;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Call time limits, sandbox status and the process-wide interrupt settings.</summary>
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
        // 500 ms: the limit also bounds guest start-up, which must not trip it on a loaded machine.
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

    [Fact]
    public void InterruptSignalOffsetCannotChangeOnceSandboxesExist()
    {
        using Sandbox sb = NewSandbox(); // fixes the offset for the process
        int signal = HyperlightLibrary.InterruptSignal;
        HyperlightLibrary.SetInterruptSignalOffset(5); // the default, which the tests use: accepted
        var e = Assert.Throws<HyperlightException>(() => HyperlightLibrary.SetInterruptSignalOffset(7));
        Assert.Equal(ErrorCode.Busy, e.Code);
        Assert.Equal(signal, HyperlightLibrary.InterruptSignal);
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
    }

    [Fact]
    public void InterruptRetryDelayBelowOneMicrosecondIsRefused()
    {
        var e = Assert.Throws<HyperlightException>(() => HyperlightLibrary.SetInterruptRetryDelay(TimeSpan.FromTicks(1)));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => HyperlightLibrary.SetInterruptRetryDelay(TimeSpan.FromTicks(-1)));
    }
}
