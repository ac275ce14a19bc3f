using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>
/// Snapshots: restore, CallAndRestore, sandboxes from snapshots, files,
/// lifetimes. The scribble guest keeps a call count in its memory
/// (CountCalls), which shows which state a sandbox is in.
/// </summary>
public sealed class SnapshotTests
{
    private const ulong GuestAddress = 4UL << 30; // far above any test sandbox's memory

    private static Sandbox NewScribble(SandboxOptions? options = null) => Sandbox.FromFile(TestGuests.Scribble, options);

    private static Sandbox NewSimple(SandboxOptions? options = null) => Sandbox.FromFile(TestGuests.Simple, options);

    private static long CountCalls(Sandbox sb) => sb.Call<long>("CountCalls");

    private static string TempPath(string name) =>
        Path.Combine(Path.GetTempPath(), $"hl-cs-{Environment.ProcessId}-{Guid.NewGuid():N}-{name}");

    private static Func<int, int, int> HostAdd => (a, b) => a + b;

    // ----------------------------------------------------------------- restore

    [Fact]
    public void RestoreBringsBackTheGuestsState()
    {
        using Sandbox sb = NewScribble();
        Assert.Equal(1, CountCalls(sb));
        using Snapshot snap = sb.Snapshot();
        Assert.Equal(sb.MemorySize, snap.MemorySize);
        Assert.Equal(2, CountCalls(sb));
        Assert.Equal(3, CountCalls(sb));
        sb.Restore(snap);
        Assert.Equal(2, CountCalls(sb));
        sb.Restore(snap); // any number of times
        Assert.Equal(2, CountCalls(sb));
    }

    [Fact]
    public void RestoreMakesATimedOutSandboxUsableAgain()
    {
        using Sandbox sb = NewSimple();
        using Snapshot snap = sb.Snapshot();
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Spin", TimeSpan.FromMilliseconds(20)));
        Assert.Equal(ErrorCode.Timeout, e.Code);
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
        Assert.Equal(ErrorCode.Poisoned, Assert.Throws<HyperlightException>(() => sb.Call("Add", 1, 2)).Code);
        // A poisoned sandbox's state is not worth keeping.
        Assert.Equal(ErrorCode.Poisoned, Assert.Throws<HyperlightException>(() => sb.Snapshot()).Code);

        sb.Restore(snap);
        Assert.Equal(SandboxStatus.Ready, sb.Status);
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
    }

    [Fact]
    public void RestoreMakesACancelledSandboxUsableAgain()
    {
        using Sandbox sb = NewScribble();
        Assert.Equal(1, CountCalls(sb));
        using Snapshot snap = sb.Snapshot();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Scribble", cts.Token, 7UL, 3)); // spins
        Assert.Equal(ErrorCode.Cancelled, e.Code);
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);

        sb.Restore(snap);
        Assert.Equal(SandboxStatus.Ready, sb.Status);
        Assert.Equal(2, CountCalls(sb));
    }

    [Fact]
    public void RestoreOntoAnotherHeapSizeIsAMismatchAndChangesNothing()
    {
        using Sandbox small = NewScribble(new SandboxOptions { HeapSize = 4 << 20 });
        using Sandbox big = NewScribble(new SandboxOptions { HeapSize = 8 << 20 });
        using Snapshot snap = small.Snapshot();
        Assert.NotEqual(big.MemorySize, snap.MemorySize);
        Assert.Equal(1, CountCalls(big));

        var e = Assert.Throws<HyperlightException>(() => big.Restore(snap));
        Assert.Equal(ErrorCode.SnapshotMismatch, e.Code);
        Assert.Contains("heap", e.Message);

        Assert.Equal(SandboxStatus.Ready, big.Status);
        Assert.Equal(2, CountCalls(big)); // untouched, still usable
        // CallAndRestore refuses the snapshot before running the call.
        Assert.Equal(ErrorCode.SnapshotMismatch,
                     Assert.Throws<HyperlightException>(() => big.CallAndRestore(snap, "CountCalls")).Code);
        Assert.Equal(SandboxStatus.Ready, big.Status);
        Assert.Equal(3, CountCalls(big));
    }

    [Fact]
    public void RestoreNeedsTheSnapshotsHostFunctions()
    {
        using Sandbox source = NewSimple();
        source.Register("HostAdd", HostAdd);
        using Snapshot snap = source.Snapshot();

        using Sandbox bare = NewSimple();
        var missing = Assert.Throws<HyperlightException>(() => bare.Restore(snap));
        Assert.Equal(ErrorCode.SnapshotMismatch, missing.Code);
        Assert.Contains("'HostAdd'", missing.Message);

        using Sandbox other = NewSimple();
        other.Register("HostAdd", (Func<long, long, long>)((a, b) => a + b));
        Assert.Equal(ErrorCode.SnapshotMismatch, Assert.Throws<HyperlightException>(() => other.Restore(snap)).Code);

        using Sandbox good = NewSimple();
        good.Register("HostAdd", HostAdd);
        good.Restore(snap);
        Assert.Equal(42, good.Call<int>("AddViaHost", 40, 2));
    }

    // --------------------------------------------------------- CallAndRestore

    [Fact]
    public void CallAndRestoreRunsEveryRequestOnACleanSandbox()
    {
        using Sandbox sb = NewScribble();
        using Snapshot snap = sb.Snapshot();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(1L, sb.CallAndRestore<long>(snap, "CountCalls"));
        }
        Assert.Equal(1L, Assert.IsType<long>(sb.CallAndRestore(snap, "CountCalls")));
        Assert.Equal(42, sb.CallAndRestore<int>(snap, "Add", 40, 2));

        // A request that faults reports its error and leaves a clean sandbox.
        var e = Assert.Throws<HyperlightException>(() => sb.CallAndRestore(snap, "Scribble", 7UL, 1));
        Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);
        Assert.Equal(SandboxStatus.Ready, sb.Status);
        Assert.Equal(1, CountCalls(sb));
    }

    [Fact]
    public void CallAndRestoreRestoresAPoisonedSandboxFirst()
    {
        using Sandbox sb = NewScribble();
        using Snapshot snap = sb.Snapshot();
        Assert.Throws<HyperlightException>(() => sb.Call("Scribble", TimeSpan.FromMilliseconds(20), 7UL, 3));
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
        Assert.Equal(1L, sb.CallAndRestore<long>(snap, "CountCalls"));
        Assert.Equal(SandboxStatus.Ready, sb.Status);
    }

    [Fact]
    public void CallAndRestoreCanBeCancelled()
    {
        using Sandbox sb = NewScribble();
        using Snapshot snap = sb.Snapshot();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var e = Assert.Throws<HyperlightException>(() => sb.CallAndRestore(snap, "Scribble", cts.Token, 7UL, 3));
        Assert.Equal(ErrorCode.Cancelled, e.Code);
        Assert.Equal(SandboxStatus.Ready, sb.Status); // restored after the kill
        Assert.Equal(1L, sb.CallAndRestore<long>(snap, "CountCalls", CancellationToken.None));
    }

    [Fact]
    public void CallAndRestoreKeepsTheHostFunctionsException()
    {
        using Sandbox sb = NewSimple();
        var thrown = new InvalidOperationException("host says no");
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) => throw thrown));
        using Snapshot snap = sb.Snapshot();
        var e = Assert.Throws<HyperlightException>(() => sb.CallAndRestore(snap, "AddViaHost", 1, 2));
        Assert.Equal(ErrorCode.HostFunctionFailed, e.Code);
        Assert.Same(thrown, e.InnerException);
        Assert.Equal(SandboxStatus.Ready, sb.Status);
    }

    [Fact]
    public void SnapshotAndRestoreFromAHostFunctionAreBusy()
    {
        using Sandbox sb = NewSimple();
        using var memory = new SharedMemory(4096);
        Snapshot? snap = null;
        var seen = new List<ErrorCode>();
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) =>
        {
            foreach (Action action in new Action[]
                     {
                         () => sb.Snapshot().Dispose(),
                         () => sb.Restore(snap!),
                         () => sb.CallAndRestore(snap!, "Add", 1, 2),
                         () => sb.MapRegion(memory, GuestAddress),
                     })
            {
                try
                {
                    action();
                }
                catch (HyperlightException e)
                {
                    seen.Add(e.Code);
                }
            }
            return a + b;
        }));
        snap = sb.Snapshot();
        using (snap)
        {
            Assert.Equal(42, sb.CallAndRestore<int>(snap, "AddViaHost", 40, 2));
            Assert.Equal(new[] { ErrorCode.Busy, ErrorCode.Busy, ErrorCode.Busy, ErrorCode.Busy }, seen);
            seen.Clear();
            Assert.Equal(42, sb.Call<int>("AddViaHost", 40, 2));
            Assert.Equal(new[] { ErrorCode.Busy, ErrorCode.Busy, ErrorCode.Busy, ErrorCode.Busy }, seen);
        }
        Assert.False(memory.IsMapped);
    }

    // --------------------------------------------------- sandboxes from snapshots

    [Fact]
    public void FromSnapshotWithARegisteredHostFunction()
    {
        using Sandbox source = NewSimple();
        source.Register("HostAdd", HostAdd);
        Assert.Equal(42, source.Call<int>("AddViaHost", 40, 2));
        Snapshot snap = source.Snapshot();

        var options = new SandboxOptions { CallTimeout = TimeSpan.FromMilliseconds(200) };
        using Sandbox sb = Sandbox.FromSnapshot(snap, options);
        Assert.Equal(snap.MemorySize, sb.MemorySize);
        // Host functions are not part of a snapshot: register them again.
        Assert.Equal(ErrorCode.SnapshotMismatch, Assert.Throws<HyperlightException>(() => sb.Restore(snap)).Code);
        int calls = 0;
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) =>
        {
            calls++;
            return a + b;
        }));
        Assert.Equal(42, sb.Call<int>("AddViaHost", 40, 2));
        Assert.Equal(7, sb.CallAndRestore<int>(snap, "AddViaHost", 3, 4));
        Assert.Equal(2, calls);

        snap.Dispose(); // the sandbox keeps what it needs
        Assert.Equal(42, sb.Call<int>("AddViaHost", 40, 2));
        // The options' time limit applies.
        Assert.Equal(ErrorCode.Timeout, Assert.Throws<HyperlightException>(() => sb.Call("Spin")).Code);
    }

    [Fact]
    public void FromSnapshotContinuesFromTheSnapshotsState()
    {
        using Sandbox source = NewScribble(new SandboxOptions { HeapSize = 1 << 20 });
        Assert.Equal(1, CountCalls(source));
        Assert.Equal(2, CountCalls(source));
        using Snapshot snap = source.Snapshot();
        // Memory sizes come from the snapshot; such options are ignored.
        using Sandbox sb = Sandbox.FromSnapshot(snap, new SandboxOptions { HeapSize = 8 << 20 });
        Assert.Equal(source.MemorySize, sb.MemorySize);
        Assert.Equal(3, CountCalls(sb));
        Assert.Equal(3, CountCalls(source)); // independent
        sb.Restore(snap);
        Assert.Equal(3, CountCalls(sb));
    }

    [Fact]
    public void FromSnapshotUsesTheOptionsLogger()
    {
        using Sandbox source = Sandbox.FromFile(TestGuests.Sdk);
        using Snapshot snap = source.Snapshot();
        var messages = new List<string>();
        var options = new SandboxOptions
        {
            Logger = (level, file, line, message) =>
            {
                lock (messages)
                {
                    messages.Add($"{level} {message}");
                }
            },
        };
        using Sandbox sb = Sandbox.FromSnapshot(snap, options);
        sb.Call("Log", (int)LogLevel.Error, "from a snapshot");
        Assert.Equal(new[] { "Error from a snapshot" }, messages);
    }

    [Fact]
    public void ManyThreadsCreateSandboxesFromOneSnapshot()
    {
        using Sandbox source = NewScribble();
        Assert.Equal(1, CountCalls(source));
        using Snapshot snap = source.Snapshot();
        const int Threads = 8, PerThread = 4;
        using var start = new Barrier(Threads);
        var errors = new List<Exception>();
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            threads[t] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    for (int i = 0; i < PerThread; i++)
                    {
                        using Sandbox sb = Sandbox.FromSnapshot(snap);
                        Assert.Equal(2L, sb.CallAndRestore<long>(snap, "CountCalls"));
                        Assert.Equal(2L, sb.Call<long>("CountCalls"));
                        Assert.Equal(3L, sb.Call<long>("CountCalls"));
                        Assert.Equal(snap.MemorySize, sb.MemorySize);
                    }
                }
                catch (Exception e)
                {
                    lock (errors)
                    {
                        errors.Add(e);
                    }
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)));
        }
        Assert.Empty(errors);
        Assert.Equal(2, CountCalls(source)); // the source is untouched
    }

    // ------------------------------------------------------------- lifetimes

    [Fact]
    public void DisposeTwiceIsFine()
    {
        Sandbox sb = NewSimple();
        Snapshot snap = sb.Snapshot();
        Sandbox fromSnap = Sandbox.FromSnapshot(snap);
        snap.Dispose();
        snap.Dispose();
        Assert.Equal(42, fromSnap.Call<int>("Add", 40, 2));
        fromSnap.Dispose();
        fromSnap.Dispose();
        sb.Dispose();
        sb.Dispose();
    }

    [Fact]
    public void ADisposedSnapshotCannotBeUsed()
    {
        using Sandbox sb = NewSimple();
        Snapshot snap = sb.Snapshot();
        snap.Dispose();
        Assert.Throws<ObjectDisposedException>(() => snap.MemorySize);
        Assert.Throws<ObjectDisposedException>(() => snap.Save(TempPath("disposed.snap")));
        Assert.Throws<ObjectDisposedException>(() => sb.Restore(snap));
        Assert.Throws<ObjectDisposedException>(() => sb.CallAndRestore(snap, "Add", 1, 2));
        Assert.Throws<ObjectDisposedException>(() => sb.CallAndRestore<int>(snap, "Add", 1, 2));
        Assert.Throws<ObjectDisposedException>(() => Sandbox.FromSnapshot(snap));
        Assert.Equal(42, sb.Call<int>("Add", 40, 2)); // the sandbox is unaffected
    }

    [Fact]
    public void ADisposedSandboxCannotSnapshotOrRestore()
    {
        Sandbox other = NewSimple();
        using Snapshot snap = other.Snapshot();
        other.Dispose();
        Assert.Throws<ObjectDisposedException>(() => other.Snapshot());
        Assert.Throws<ObjectDisposedException>(() => other.Restore(snap));
        Assert.Throws<ObjectDisposedException>(() => other.CallAndRestore(snap, "Add", 1, 2));
        Assert.Throws<ArgumentNullException>(() => Sandbox.FromSnapshot(null!));
        using Sandbox sb = Sandbox.FromSnapshot(snap); // the snapshot outlives its sandbox
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
        Assert.Throws<ArgumentNullException>(() => sb.Restore(null!));
        Assert.Throws<ArgumentNullException>(() => sb.CallAndRestore(null!, "Add", 1, 2));
    }

    [Fact]
    public void DisposingTheSandboxDuringCallAndRestoreWaitsForTheCall()
    {
        using var memory = new SharedMemory(4096);
        memory.Span[0] = 0x5a;
        Sandbox sb = NewSimple();
        sb.MapRegion(memory, GuestAddress);
        using Snapshot snap = sb.Snapshot();
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) =>
        {
            sb.Dispose(); // on the calling thread, mid-call: deletion waits until the call returns
            return a + b;
        }));
        Assert.Equal(42, sb.CallAndRestore<int>(snap, "AddViaHost", 40, 2));
        Assert.Throws<ObjectDisposedException>(() => sb.Call("Add", 1, 2));
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
        // The sandbox is gone; the snapshot still holds the memory.
        Assert.True(memory.IsMapped);
        Assert.Throws<InvalidOperationException>(() => memory.Dispose());
        snap.Dispose();
        Assert.False(memory.IsMapped);
    }

    [Fact]
    public void UndisposedSnapshotsSandboxesAndMemoryAreFinalizedSafely()
    {
        for (int i = 0; i < 5; i++)
        {
            SnapshotAndAbandon();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        // The finalizers ran in whatever order the GC chose; the process is fine.
        using Sandbox sb = NewSimple();
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SnapshotAndAbandon()
    {
        var memory = new SharedMemory(4096);
        memory.Span[0] = 0x77;
        Sandbox sb = NewSimple();
        sb.MapRegion(memory, GuestAddress);
        Snapshot snap = sb.Snapshot();
        Sandbox fromSnap = Sandbox.FromSnapshot(snap);
        Assert.Equal(0x77, fromSnap.Call<long>("ReadAddress", (long)GuestAddress) & 0xff);
        sb.Restore(snap);
    }

    // ------------------------------------------------------- mapped memory

    [Fact]
    public void MappedRegionsReturnWithTheSnapshot()
    {
        using var first = new SharedMemory(4096);
        using var second = new SharedMemory(4096);
        first.Span[0] = 0xA1;
        second.Span[0] = 0xB2;
        const ulong SecondAddress = GuestAddress * 2;
        Sandbox sb = NewSimple();
        sb.MapRegion(first, GuestAddress);
        Snapshot snap = sb.Snapshot();
        sb.UnmapRegion(GuestAddress);
        sb.MapRegion(second, SecondAddress);

        sb.Restore(snap);
        Assert.Equal(0xA1, sb.Call<long>("ReadAddress", (long)GuestAddress) & 0xff);
        Assert.False(second.IsMapped); // the restore unmapped it
        second.Dispose();
        var e = Assert.Throws<HyperlightException>(() => sb.Call("ReadAddress", (long)SecondAddress));
        Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);

        // A sandbox from the snapshot maps the memory too.
        using (Sandbox fromSnap = Sandbox.FromSnapshot(snap))
        {
            Assert.Equal(0xA1, fromSnap.Call<long>("ReadAddress", (long)GuestAddress) & 0xff);
            first.Span[0] = 0xC3; // host writes are seen
            Assert.Equal(0xC3, fromSnap.Call<long>("ReadAddress", (long)GuestAddress) & 0xff);
            fromSnap.UnmapRegion(GuestAddress);
        }

        // Snapshots pointing at host memory cannot go to a file.
        Assert.Equal(ErrorCode.InvalidArgument,
                     Assert.Throws<HyperlightException>(() => snap.Save(TempPath("mapped.snap"))).Code);

        // The memory stays mapped until the sandbox and the snapshot are both gone.
        sb.Dispose();
        Assert.Throws<InvalidOperationException>(() => first.Dispose());
        snap.Dispose();
        Assert.False(first.IsMapped);
    }

    [Fact]
    public void DisposingTheSnapshotReleasesMemoryTheSandboxUnmapped()
    {
        // hyperlight, not the binding, decides when the memory is free: the
        // sandbox does not keep the snapshot it took, and a failed map holds
        // nothing.
        var memory = new SharedMemory(4096);
        using Sandbox sb = NewSimple();
        sb.MapRegion(memory, GuestAddress);
        Snapshot snap = sb.Snapshot();
        sb.UnmapRegion(GuestAddress);
        Assert.True(memory.IsMapped); // the snapshot would map it again
        Assert.Equal(ErrorCode.NotAligned,
                     Assert.Throws<HyperlightException>(() => sb.MapRegion(memory, GuestAddress + 1)).Code);
        snap.Dispose();
        Assert.False(memory.IsMapped);
        memory.Dispose();
        Assert.Equal(3, sb.Call<int>("Add", 1, 2));
    }

    [Fact]
    public void CallAndRestoreBringsBackTheSnapshotsRegions()
    {
        using var first = new SharedMemory(4096);
        using var second = new SharedMemory(4096);
        first.Span[0] = 0x11;
        using Sandbox sb = NewSimple();
        using Snapshot snap = sb.Snapshot(); // no regions
        sb.MapRegion(first, GuestAddress);
        Assert.Equal(0x11, sb.CallAndRestore<long>(snap, "ReadAddress", (long)GuestAddress) & 0xff);
        Assert.False(first.IsMapped); // unmapped by the restore
        // The address is free again, in the table as in the sandbox.
        sb.MapRegion(second, GuestAddress);
        sb.UnmapRegion(GuestAddress);
        Assert.False(second.IsMapped);
        Assert.Equal(ErrorCode.RegionNotFound,
                     Assert.Throws<HyperlightException>(() => sb.UnmapRegion(GuestAddress)).Code);
    }

    // ------------------------------------------------------------- files

    [Fact]
    public void SaveAndLoadRoundTrip()
    {
        using Sandbox source = NewScribble();
        Assert.Equal(1, CountCalls(source));
        Assert.Equal(2, CountCalls(source));
        using Snapshot snap = source.Snapshot();
        string path = TempPath("round-trip.snap");
        try
        {
            snap.Save(path);
            Assert.True(new FileInfo(path).Length > 4096);
            using Snapshot loaded = Snapshot.Load(path);
            Assert.Equal(snap.MemorySize, loaded.MemorySize);
            using Sandbox sb = Sandbox.FromSnapshot(loaded);
            Assert.Equal(3, CountCalls(sb));
            Assert.Equal(4L, sb.CallAndRestore<long>(loaded, "CountCalls")); // runs, then restores
            Assert.Equal(3, CountCalls(sb));
            // The loaded snapshot also restores onto the sandbox that made the original.
            Assert.Equal(3, CountCalls(source));
            source.Restore(loaded);
            Assert.Equal(3, CountCalls(source));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadingGarbageIsSnapshotCorrupt()
    {
        string path = TempPath("garbage.snap");
        try
        {
            byte[] garbage = new byte[8192];
            new Random(1234).NextBytes(garbage);
            File.WriteAllBytes(path, garbage);
            var e = Assert.Throws<HyperlightException>(() => Snapshot.Load(path));
            Assert.Equal(ErrorCode.SnapshotCorrupt, e.Code);

            File.WriteAllBytes(path, Array.Empty<byte>());
            Assert.Equal(ErrorCode.SnapshotCorrupt, Assert.Throws<HyperlightException>(() => Snapshot.Load(path)).Code);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadingAMissingFileIsIo()
    {
        var e = Assert.Throws<HyperlightException>(() => Snapshot.Load(TempPath("does-not-exist.snap")));
        Assert.Equal(ErrorCode.Io, e.Code);
        Assert.Throws<ArgumentNullException>(() => Snapshot.Load(null!));
    }
}
