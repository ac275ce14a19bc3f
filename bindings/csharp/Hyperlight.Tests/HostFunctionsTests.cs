using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Host-function sets: shared by many sandboxes, frozen once used, checked against snapshots.</summary>
public sealed class HostFunctionsTests
{
    private static Sandbox NewSimple(HostFunctions? functions) =>
        Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { HostFunctions = functions });

    [Fact]
    public void OneSetServesSeveralSandboxesOnSeveralThreads()
    {
        int calls = 0;
        using var functions = new HostFunctions();
        functions.Add("HostAdd", (int a, int b) =>
        {
            Interlocked.Increment(ref calls);
            return a + b + 100;
        });
        using Sandbox first = NewSimple(functions);
        using Sandbox second = NewSimple(functions);
        using Snapshot snap = first.Snapshot();
        using Sandbox third = Sandbox.FromSnapshot(snap, new SandboxOptions { HostFunctions = functions });
        Sandbox[] sandboxes = { first, second, third };
        Parallel.For(0, sandboxes.Length, i =>
        {
            for (int j = 0; j < 20; j++)
            {
                Assert.Equal(i + j + 100, sandboxes[i].Call<int>("AddViaHost", i, j));
            }
        });
        Assert.Equal(60, calls);
    }

    [Fact]
    public void ASetFreezesWhenASandboxIsCreatedWithIt()
    {
        using var functions = new HostFunctions();
        functions.Add("HostAdd", (int a, int b) => a + b);
        var twice = Assert.Throws<HyperlightException>(() => functions.Add("HostAdd", (int a, int b) => a - b));
        Assert.Equal(ErrorCode.AlreadyRegistered, twice.Code);
        using Sandbox sb = NewSimple(functions);
        var frozen = Assert.Throws<HyperlightException>(() => functions.Add("HostEcho", (string s) => s));
        Assert.Equal(ErrorCode.HostFunctionsFrozen, frozen.Code);
        Assert.Contains("hl_host_functions_new", frozen.Message);

        // The sandbox may register other names, not the set's.
        var clash = Assert.Throws<HyperlightException>(() => sb.Register("HostAdd", (int a, int b) => 0));
        Assert.Equal(ErrorCode.AlreadyRegistered, clash.Code);
        sb.Register("HostEcho", (string s) => s + "!");
        Assert.Equal("hi!", sb.Call<string>("EchoViaHost", "hi"));
        Assert.Equal(5, sb.Call<int>("AddViaHost", 2, 3));
    }

    [Fact]
    public void FromSnapshotChecksTheSetAgainstTheSnapshotAtOnce()
    {
        using Sandbox source = NewSimple(null);
        source.Register("HostAdd", (int a, int b) => a + b);
        using Snapshot snap = source.Snapshot();

        using var empty = new HostFunctions();
        var missing = Assert.Throws<HyperlightException>(
            () => Sandbox.FromSnapshot(snap, new SandboxOptions { HostFunctions = empty }));
        Assert.Equal(ErrorCode.SnapshotMismatch, missing.Code);
        Assert.Contains("'HostAdd'", missing.Message);

        using var other = new HostFunctions();
        other.Add("HostAdd", (long a, long b) => a + b);
        var differs = Assert.Throws<HyperlightException>(
            () => Sandbox.FromSnapshot(snap, new SandboxOptions { HostFunctions = other }));
        Assert.Equal(ErrorCode.SnapshotMismatch, differs.Code);

        using var good = new HostFunctions();
        good.Add("HostAdd", (int a, int b) => a * b);
        using Sandbox sb = Sandbox.FromSnapshot(snap, new SandboxOptions { HostFunctions = good });
        Assert.Equal(42, sb.Call<int>("AddViaHost", 6, 7));
    }

    [Fact]
    public void AFailingSetFunctionsExceptionReachesItsOwnCall()
    {
        using var functions = new HostFunctions();
        functions.Add("HostAdd", (int a, int b) => a >= 0 ? a + b : throw new InvalidOperationException($"no {a}"));
        using Sandbox sb = NewSimple(functions);
        var e = Assert.Throws<HyperlightException>(() => sb.Call<int>("AddViaHost", -7, 1));
        Assert.Equal(ErrorCode.HostFunctionFailed, e.Code);
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Equal("no -7", e.InnerException!.Message);
        Assert.Equal(3, sb.Call<int>("AddViaHost", 1, 2));
    }

    [Fact]
    public void ADisposedSetStaysAliveInItsSandboxesAndCannotBeUsedAgain()
    {
        var functions = new HostFunctions();
        functions.Add("HostAdd", (int a, int b) => a + b);
        using Sandbox sb = NewSimple(functions);
        functions.Dispose();
        functions.Dispose(); // a second Dispose does nothing
        Assert.Equal(3, sb.Call<int>("AddViaHost", 1, 2));
        Assert.Throws<ObjectDisposedException>(() => functions.Add("HostEcho", (string s) => s));
        Assert.Throws<ObjectDisposedException>(() => NewSimple(functions));
    }
}
