using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Smoke tests of the C# binding against build/tests/guests/simpleguest.elf.</summary>
public sealed class SandboxTests
{
    private static string GuestPath => TestGuests.Simple;

    private static Sandbox NewSandbox() => Sandbox.FromFile(GuestPath);

    [Fact]
    public void AddReturns42()
    {
        using Sandbox sb = NewSandbox();
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
        Assert.Equal(42, Assert.IsType<int>(sb.Call("Add", 40, 2)));
    }

    [Fact]
    public void AddI64()
    {
        using Sandbox sb = NewSandbox();
        Assert.Equal(5_000_000_000L, sb.Call<long>("AddI64", 4_000_000_000L, 1_000_000_000L));
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("héllo ✓")]
    public void EchoRoundTrip(string text)
    {
        using Sandbox sb = NewSandbox();
        Assert.Equal(text, sb.Call<string>("Echo", text));
    }

    [Fact]
    public void FromBytesWorks()
    {
        using Sandbox sb = Sandbox.FromBytes(File.ReadAllBytes(GuestPath), new SandboxOptions { HeapSize = 1 << 20 });
        Assert.Equal(3, sb.Call<int>("GetCpl"));
    }

    [Fact]
    public void AddViaHostCallsCSharp()
    {
        using Sandbox sb = NewSandbox();
        int calls = 0;
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) =>
        {
            calls++;
            return a + b;
        }));
        Assert.Equal(42, sb.Call<int>("AddViaHost", 40, 2));
        Assert.Equal(1, calls);
        Assert.Equal(100, sb.Call<int>("CountViaHost", 100));
        Assert.Equal(101, calls);
    }

    [Fact]
    public void VoidHostFunctionReturnsNothingToTheGuest()
    {
        using Sandbox sb = NewSandbox();
        int seen = 0;
        sb.Register<int>("HostNotify", v => seen = v);
        Assert.Equal(7, sb.Call<int>("NotifyViaHost", 7));
        Assert.Equal(7, seen);
        Assert.Equal(-1, sb.Call<int>("NotifyViaHost", -1));
        Assert.Equal(-1, seen);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("héllo ✓")]
    public void EchoViaHostString(string text)
    {
        using Sandbox sb = NewSandbox();
        string? seen = null;
        sb.Register("HostEcho", (string s) =>
        {
            seen = s;
            return s + "!";
        });
        Assert.Equal(text + "!", sb.Call<string>("EchoViaHost", text));
        Assert.Equal(text, seen);
    }

    [Fact]
    public void HostFunctionExceptionBecomesInnerException()
    {
        using Sandbox sb = NewSandbox();
        var thrown = new InvalidOperationException("host says no");
        sb.Register<int, int, int>("HostAdd", (a, b) => throw thrown);
        var e = Assert.Throws<HyperlightException>(() => sb.Call("AddViaHost", 1, 2));
        Assert.Equal(ErrorCode.HostFunctionFailed, e.Code);
        Assert.Same(thrown, Assert.IsType<InvalidOperationException>(e.InnerException));
        Assert.Contains("host says no", e.Message);
        // The sandbox is still usable and the exception does not stick to later calls.
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
    }

    [Fact]
    public void UnknownFunction()
    {
        using Sandbox sb = NewSandbox();
        var e = Assert.Throws<HyperlightException>(() => sb.Call("NoSuchFunction"));
        Assert.Equal(ErrorCode.GuestFunctionNotFound, e.Code);
        Assert.Null(e.InnerException);
    }

    [Fact]
    public void SpinIsCancelledByToken()
    {
        using Sandbox sb = NewSandbox();
        using var cts = new CancellationTokenSource();
        cts.CancelAfter(TimeSpan.FromMilliseconds(100));
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin", cts.Token));
        Assert.Equal(ErrorCode.Cancelled, e.Code);
        // A cancelled call poisons the sandbox.
        Assert.Equal(ErrorCode.Poisoned, Assert.Throws<HyperlightException>(() => sb.Call("Add", 1, 2)).Code);
    }

    [Fact]
    public void CancellationRacingWithCallStartStillKills()
    {
        // Tokens firing around the moment the call enters the guest: hl_kill
        // finds nothing running if it is too early, so the binding must retry.
        for (int i = 0; i < 40; i++)
        {
            using Sandbox sb = NewSandbox();
            using var cts = new CancellationTokenSource();
            cts.CancelAfter(TimeSpan.FromMilliseconds(i % 4));
            try
            {
                sb.Call("Spin", cts.Token);
                Assert.Fail("Spin returned");
            }
            catch (OperationCanceledException)
            {
                // Fired before the call started.
            }
            catch (HyperlightException e)
            {
                Assert.Equal(ErrorCode.Cancelled, e.Code);
            }
        }
    }

    [Fact]
    public void UncancelledTokenDoesNotDisturbCalls()
    {
        using Sandbox sb = NewSandbox();
        using var cts = new CancellationTokenSource();
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(i + 1, sb.Call<int>("Add", cts.Token, i, 1));
        }
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => sb.Call("Add", cts.Token, 1, 2));
        Assert.Equal(3, sb.Call<int>("Add", 1, 2)); // not poisoned: the guest was never entered
    }

    [Fact]
    public void KillOnIdleSandboxIsNotRunning()
    {
        using Sandbox sb = NewSandbox();
        using InterruptHandle handle = sb.GetInterruptHandle();
        Assert.Equal(KillResult.NotRunning, handle.Kill());
        Assert.Equal(42, sb.Call<int>("Add", 40, 2)); // an idle kill never cancels a later call
        sb.Dispose();
        Assert.Equal(KillResult.SandboxGone, handle.Kill());
    }

    [Fact]
    public void DisposeTwiceIsFine()
    {
        Sandbox sb = NewSandbox();
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) => a + b));
        sb.Dispose();
        sb.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sb.Call("Add", 1, 2));
    }

    [Fact]
    public void UnsupportedHostFunctionTypesAreRejected()
    {
        using Sandbox sb = NewSandbox();
        Assert.Throws<ArgumentException>(() => sb.Register("Bad", (Func<decimal, int>)(d => 0)));
        Assert.Throws<ArgumentException>(() => sb.Register("Bad", (Func<int, DateTime>)(i => DateTime.Now)));
        Assert.Throws<ArgumentException>(() => sb.Call("Add", 1m, 2));
    }

    [Fact]
    public void DuplicateRegistrationFails()
    {
        using Sandbox sb = NewSandbox();
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) => a + b));
        var e = Assert.Throws<HyperlightException>(() =>
            sb.Register("HostAdd", (Func<int, int, int>)((a, b) => a - b)));
        Assert.Equal(ErrorCode.AlreadyRegistered, e.Code);
        Assert.Equal(42, sb.Call<int>("AddViaHost", 40, 2)); // the first registration still serves
    }

    [Fact]
    public void ReentryFromHostFunctionIsBusy()
    {
        using Sandbox sb = NewSandbox();
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) => sb.Call<int>("Add", a, b)));
        var e = Assert.Throws<HyperlightException>(() => sb.Call("AddViaHost", 1, 2));
        Assert.Equal(ErrorCode.HostFunctionFailed, e.Code);
        Assert.Equal(ErrorCode.Busy, Assert.IsType<HyperlightException>(e.InnerException).Code);
    }

    [Fact]
    public void ConcurrentCallIsBusy()
    {
        using Sandbox sb = NewSandbox();
        using InterruptHandle handle = sb.GetInterruptHandle();
        var spinner = new Thread(() =>
        {
            for (;;)
            {
                try
                {
                    sb.Call("Spin");
                    return;
                }
                catch (HyperlightException e) when (e.Code == ErrorCode.Busy)
                {
                    Thread.Sleep(1); // the probe below was in a call at that instant: try again
                }
                catch (HyperlightException)
                {
                    return; // Cancelled below.
                }
            }
        });
        spinner.Start();
        // Wait until the spinner is inside the guest (a kill would report Interrupted);
        // probe with a second call, which must be refused while Spin runs.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        HyperlightException? busy = null;
        while (busy == null && DateTime.UtcNow < deadline)
        {
            try
            {
                sb.Call("Add", 1, 2);
                Thread.Sleep(1); // Spin had not started yet
            }
            catch (HyperlightException e)
            {
                busy = e;
            }
        }
        Assert.NotNull(busy);
        Assert.Equal(ErrorCode.Busy, busy!.Code);
        while (handle.Kill() == KillResult.NotRunning && spinner.IsAlive)
        {
            Thread.Sleep(1);
        }
        Assert.True(spinner.Join(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void WrongArgumentKindIsReportedByTheGuestSide()
    {
        using Sandbox sb = NewSandbox();
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Add", 1u, 2));
        Assert.Equal(ErrorCode.ParameterTypeMismatch, e.Code);
        e = Assert.Throws<HyperlightException>(() => sb.Call("Add", 1));
        Assert.Equal(ErrorCode.ParameterCountMismatch, e.Code);
    }

    [Fact]
    public void HostFunctionIsReleasedWithTheSandbox()
    {
        WeakReference target = RegisterAndDispose();
        for (int i = 0; i < 10 && target.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(target.IsAlive, "the finalizer trampoline did not free the host function's GCHandle");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RegisterAndDispose()
    {
        var box = new object();
        Func<int, int, int> fn = (a, b) => a + b + (box == null ? 1 : 0);
        var weak = new WeakReference(fn);
        using (Sandbox sb = NewSandbox())
        {
            sb.Register("HostAdd", fn);
            Assert.Equal(3, sb.Call<int>("AddViaHost", 1, 2));
        }
        return weak;
    }

    [Fact]
    public void AbiMatchesNativeLibrary()
    {
        Assert.Equal(AbiInfo.HlValSize, Marshal.SizeOf<HlVal>());
        Assert.Equal(24, AbiInfo.HlValSize);
        Assert.Equal(AbiInfo.HlValSize, Unsafe.SizeOf<HlVal>());
        Assert.Equal(8, (int)Marshal.OffsetOf<HlVal>(nameof(HlVal.I64)));
        Assert.Equal(16, (int)Marshal.OffsetOf<HlVal>(nameof(HlVal.StringLen)));
        uint version = HyperlightLibrary.Version;
        Assert.Equal(AbiInfo.Version, version);
        Assert.Equal(AbiInfo.VersionMajor, version >> 16);
        Assert.Equal(AbiInfo.VersionMinor, (version >> 8) & 0xff);
        Assert.Equal(AbiInfo.VersionPatch, version & 0xff);
        Assert.Equal(AbiInfo.VersionString, HyperlightLibrary.VersionString);
    }
}
