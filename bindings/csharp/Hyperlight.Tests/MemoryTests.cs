using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Memory size, mapped regions and files, and the guest counter.</summary>
public sealed class MemoryTests
{
    private const ulong GuestAddress = 4UL << 30; // far above any test sandbox's memory

    private static Sandbox NewSandbox() => Sandbox.FromFile(TestGuests.Simple);

    private static long ReadGuest(Sandbox sb, ulong address) => sb.Call<long>("ReadAddress", (long)address);

    // Every 8 bytes hold 0xC0DE000000000000 + their offset.
    private static SharedMemory PatternedMemory(int pages)
    {
        var memory = new SharedMemory(pages * SharedMemory.PageSize);
        Span<byte> span = memory.Span;
        for (int i = 0; i < span.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[i..], 0xC0DE000000000000UL + (ulong)i);
        }
        return memory;
    }

    // ------------------------------------------------------------- memory size

    [Fact]
    public void MemorySizeGrowsWithTheHeap()
    {
        using Sandbox small = NewSandbox();
        using Sandbox large = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { HeapSize = 64UL << 20 });
        Assert.True(small.MemorySize > 0);
        Assert.Equal(0UL, small.MemorySize % SharedMemory.PageSize);
        Assert.True(small.MemorySize < GuestAddress);
        Assert.True(large.MemorySize >= small.MemorySize + (60UL << 20), $"{large.MemorySize} vs {small.MemorySize}");
    }

    // ------------------------------------------------------------ SharedMemory

    [Fact]
    public void SharedMemoryIsPageRoundedAndZeroed()
    {
        using var one = new SharedMemory(1);
        Assert.Equal(SharedMemory.PageSize, one.Length);
        Assert.True(one.Span.IndexOfAnyExcept((byte)0) < 0);
        using var three = new SharedMemory(2 * SharedMemory.PageSize + 1);
        Assert.Equal(3 * SharedMemory.PageSize, three.Length);
        Assert.Equal(3 * SharedMemory.PageSize, three.Span.Length);
        Assert.Equal(16, three.GetSpan(three.Length - 16, 16).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => three.GetSpan(three.Length - 16, 17));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SharedMemory(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SharedMemory(-1));
        Assert.False(three.IsMapped);
    }

    [Fact]
    public void DisposedSharedMemoryIsUnusable()
    {
        var memory = new SharedMemory(4096);
        memory.Dispose();
        memory.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(() => memory.Span.Length);
        using Sandbox sb = NewSandbox();
        Assert.Throws<ObjectDisposedException>(() => sb.MapRegion(memory, GuestAddress, MapFlags.Read));
    }

    // ---------------------------------------------------------- mapped regions

    [Fact]
    public void GuestReadsMappedHostMemory()
    {
        using SharedMemory memory = PatternedMemory(2);
        using Sandbox sb = NewSandbox();
        sb.MapRegion(memory, GuestAddress, MapFlags.Read);
        Assert.True(memory.IsMapped);
        Assert.Equal(unchecked((long)0xC0DE000000001008UL), ReadGuest(sb, GuestAddress + 0x1008));
        // The memory is shared, not copied: host changes are visible.
        BinaryPrimitives.WriteInt64LittleEndian(memory.Span[16..], 42);
        Assert.Equal(42, ReadGuest(sb, GuestAddress + 16));
        sb.UnmapRegion(GuestAddress);
        Assert.False(memory.IsMapped);
    }

    [Fact]
    public void GuestWriteToMappedMemoryIsAnAccessViolation()
    {
        using SharedMemory memory = PatternedMemory(1);
        using Sandbox sb = NewSandbox();
        sb.MapRegion(memory, GuestAddress);
        var e = Assert.Throws<HyperlightException>(() => sb.Call("WriteAddress", (long)(GuestAddress + 0x20)));
        Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);
        Assert.Contains("mapped region", e.Message);
        Assert.Equal(0xC0DE000000000020UL, BinaryPrimitives.ReadUInt64LittleEndian(memory.Span[0x20..]));
    }

    [Fact]
    public void UnmapThenReadIsAnAccessViolation()
    {
        using SharedMemory memory = PatternedMemory(1);
        using Sandbox sb = NewSandbox();
        sb.MapRegion(memory, GuestAddress, MapFlags.Read);
        Assert.Equal(unchecked((long)0xC0DE000000000000UL), ReadGuest(sb, GuestAddress));
        sb.UnmapRegion(GuestAddress);
        var e = Assert.Throws<HyperlightException>(() => ReadGuest(sb, GuestAddress));
        Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);
    }

    [Fact]
    public void MappedMemoryCannotBeDisposedUntilUnmapped()
    {
        var memory = new SharedMemory(4096);
        using Sandbox sb = NewSandbox();
        sb.MapRegion(memory, GuestAddress, MapFlags.Read);
        Assert.Throws<InvalidOperationException>(() => memory.Dispose());
        memory.Span[0] = 7; // still usable
        Assert.Equal(7, ReadGuest(sb, GuestAddress));
        sb.UnmapRegion(GuestAddress);
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => memory.Span.Length);
    }

    [Fact]
    public void DisposingTheSandboxReleasesItsRegions()
    {
        var memory = new SharedMemory(4096);
        Sandbox sb = NewSandbox();
        sb.MapRegion(memory, GuestAddress, MapFlags.Read);
        sb.MapRegion(memory, GuestAddress + 0x10000, MapFlags.Read | MapFlags.Execute);
        Assert.Throws<InvalidOperationException>(() => memory.Dispose());
        sb.UnmapRegion(GuestAddress);
        Assert.Throws<InvalidOperationException>(() => memory.Dispose()); // still mapped once
        sb.Dispose();
        Assert.False(memory.IsMapped);
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sb.MapRegion(memory, GuestAddress, MapFlags.Read));
        Assert.Throws<ObjectDisposedException>(() => sb.UnmapRegion(GuestAddress));
    }

    [Fact]
    public void OneBlockMappedIntoTwoSandboxes()
    {
        using SharedMemory memory = PatternedMemory(1);
        using Sandbox a = NewSandbox();
        using Sandbox b = NewSandbox();
        a.MapRegion(memory, GuestAddress, MapFlags.Read);
        b.MapRegion(memory, GuestAddress + 0x2000, MapFlags.Read);
        BinaryPrimitives.WriteInt64LittleEndian(memory.Span, 1234);
        Assert.Equal(1234, ReadGuest(a, GuestAddress));
        Assert.Equal(1234, ReadGuest(b, GuestAddress + 0x2000));
        a.UnmapRegion(GuestAddress);
        b.UnmapRegion(GuestAddress + 0x2000);
        Assert.False(memory.IsMapped);
    }

    [Fact]
    public void MappingMisuseGetsSpecificErrors()
    {
        using var memory = new SharedMemory(2 * SharedMemory.PageSize);
        using Sandbox sb = NewSandbox();
        ErrorCode CodeOf(Action action) => Assert.Throws<HyperlightException>(action).Code;

        Assert.Equal(ErrorCode.NotAligned, CodeOf(() => sb.MapRegion(memory, GuestAddress + 1, MapFlags.Read)));
        Assert.Equal(ErrorCode.RegionOverlap, CodeOf(() => sb.MapRegion(memory, 0x2000, MapFlags.Read)));
        Assert.Equal(ErrorCode.InvalidArgument,
                     CodeOf(() => sb.MapRegion(memory, GuestAddress, MapFlags.Read | MapFlags.Write)));
        Assert.Equal(ErrorCode.InvalidArgument, CodeOf(() => sb.MapRegion(memory, GuestAddress, MapFlags.Execute)));
        Assert.Equal(ErrorCode.InvalidArgument, CodeOf(() => sb.MapRegion(memory, 1UL << 40, MapFlags.Read)));
        Assert.False(memory.IsMapped); // failed mappings keep no reference
        memory.Dispose(); // so it can be disposed
        using var other = new SharedMemory(SharedMemory.PageSize);
        sb.MapRegion(other, GuestAddress, MapFlags.Read);
        Assert.Equal(ErrorCode.RegionOverlap, CodeOf(() => sb.MapRegion(other, GuestAddress, MapFlags.Read)));
        Assert.Equal(ErrorCode.RegionNotFound, CodeOf(() => sb.UnmapRegion(GuestAddress + 0x1000)));
        Assert.Throws<ArgumentNullException>(() => sb.MapRegion(null!, GuestAddress, MapFlags.Read));
        sb.UnmapRegion(GuestAddress);
        Assert.Equal(ErrorCode.RegionNotFound, CodeOf(() => sb.UnmapRegion(GuestAddress)));
    }

    [Fact]
    public void UndisposedSandboxAndMemoryAreFinalizedSafely()
    {
        for (int i = 0; i < 5; i++)
        {
            MapAndAbandon();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        // The finalizers ran in whatever order the GC chose; the process is fine.
        using Sandbox sb = NewSandbox();
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MapAndAbandon()
    {
        SharedMemory memory = PatternedMemory(4);
        Sandbox sb = NewSandbox();
        sb.MapRegion(memory, GuestAddress, MapFlags.Read);
        Assert.Equal(unchecked((long)0xC0DE000000000008UL), ReadGuest(sb, GuestAddress + 8));
    }

    // ------------------------------------------------------------ mapped files

    [Fact]
    public void GuestReadsAMappedFile()
    {
        byte[] content = new byte[5000];
        content.AsSpan().Fill((byte)'A');
        Encoding.ASCII.GetBytes("HELLO!!!").CopyTo(content, 4096);
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, content);
            using (Sandbox sb = NewSandbox())
            {
                Assert.Equal(8192UL, sb.MapFile(path, GuestAddress));
                long word = ReadGuest(sb, GuestAddress + 4096);
                Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(content.AsSpan(4096)), word);
                Assert.Equal(ErrorCode.RegionOverlap,
                             Assert.Throws<HyperlightException>(() => sb.MapFile(path, GuestAddress)).Code);
                sb.UnmapRegion(GuestAddress);
                Assert.Equal(ErrorCode.MemoryAccessViolation,
                             Assert.Throws<HyperlightException>(() => ReadGuest(sb, GuestAddress + 4096)).Code);
            }
            using (Sandbox sb = NewSandbox())
            {
                sb.MapFile(path, GuestAddress);
                var e = Assert.Throws<HyperlightException>(() => sb.Call("WriteAddress", (long)GuestAddress));
                Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);
            }
            Assert.Equal(content, File.ReadAllBytes(path)); // never modified
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MapFileErrors()
    {
        string empty = Path.GetTempFileName();
        string full = Path.GetTempFileName();
        try
        {
            File.WriteAllText(full, "data");
            using Sandbox sb = NewSandbox();
            Assert.Equal(ErrorCode.InvalidArgument,
                         Assert.Throws<HyperlightException>(() => sb.MapFile(empty, GuestAddress)).Code);
            Assert.Equal(ErrorCode.NotAligned,
                         Assert.Throws<HyperlightException>(() => sb.MapFile(full, GuestAddress + 12)).Code);
            Assert.Equal(ErrorCode.Io,
                         Assert.Throws<HyperlightException>(() => sb.MapFile("/nonexistent/file", GuestAddress)).Code);
            Assert.Throws<ArgumentNullException>(() => sb.MapFile(null!, GuestAddress));
            Assert.Equal(4096UL, sb.MapFile(full, GuestAddress));
        }
        finally
        {
            File.Delete(empty);
            File.Delete(full);
        }
    }

    // ------------------------------------------------------------------ counter

    [Fact]
    public void GuestSeesTheHostCounter()
    {
        using Sandbox sb = NewSandbox();
        Assert.Equal(0UL, sb.CounterValue);
        Assert.Equal(0L, sb.Call<long>("ReadCounter"));
        for (ulong i = 1; i <= 5; i++)
        {
            Assert.Equal(i, sb.CounterIncrement());
        }
        Assert.Equal(5L, sb.Call<long>("ReadCounter"));
        Assert.Equal(4UL, sb.CounterDecrement());
        Assert.Equal(4UL, sb.CounterValue);
        Assert.Equal(4L, sb.Call<long>("ReadCounter"));
    }

    [Fact]
    public void CounterDecrementAtZeroIsOutOfRange()
    {
        using Sandbox sb = NewSandbox();
        var e = Assert.Throws<HyperlightException>(() => sb.CounterDecrement());
        Assert.Equal(ErrorCode.OutOfRange, e.Code);
        Assert.Equal(0UL, sb.CounterValue); // unchanged
        Assert.Equal(1UL, sb.CounterIncrement());
        Assert.Equal(0UL, sb.CounterDecrement());
        Assert.Equal(ErrorCode.OutOfRange, Assert.Throws<HyperlightException>(() => sb.CounterDecrement()).Code);
    }

    [Fact]
    public void CounterWorksWhileACallRunsButMappingIsBusy()
    {
        using var memory = new SharedMemory(4096); // declared first: disposed after the sandbox
        using Sandbox sb = NewSandbox();
        using InterruptHandle handle = sb.GetInterruptHandle();
        var spinner = new Thread(() =>
        {
            while (true)
            {
                try
                {
                    sb.Call("Spin");
                    return;
                }
                catch (HyperlightException e) when (e.Code == ErrorCode.Busy)
                {
                    // The call collided with a probing MapRegion below: the
                    // library refuses calls during map/unmap too. Try again.
                    Thread.Yield();
                }
                catch (HyperlightException)
                {
                    return; // killed below
                }
            }
        });
        spinner.Start();
        // Probe until Spin is inside the guest: then mapping fails with Busy.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        HyperlightException? busy = null;
        while (busy == null && DateTime.UtcNow < deadline)
        {
            try
            {
                sb.MapRegion(memory, GuestAddress, MapFlags.Read);
                sb.UnmapRegion(GuestAddress);
                Thread.Sleep(1); // Spin had not started yet
            }
            catch (HyperlightException e)
            {
                busy = e;
            }
        }
        try
        {
            Assert.NotNull(busy);
            Assert.Equal(ErrorCode.Busy, busy!.Code);
            // The counter, however, may change during the call.
            for (int i = 0; i < 100; i++)
            {
                sb.CounterIncrement();
            }
            Assert.Equal(100UL, sb.CounterValue);
            Assert.Equal(99UL, sb.CounterDecrement());
        }
        finally
        {
            while (handle.Kill() == KillResult.NotRunning && spinner.IsAlive)
            {
                Thread.Sleep(1);
            }
            Assert.True(spinner.Join(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public void DisposedSandboxMembersThrow()
    {
        Sandbox sb = NewSandbox();
        sb.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sb.MemorySize);
        Assert.Throws<ObjectDisposedException>(() => sb.CounterValue);
        Assert.Throws<ObjectDisposedException>(() => sb.CounterIncrement());
        Assert.Throws<ObjectDisposedException>(() => sb.CounterDecrement());
        Assert.Throws<ObjectDisposedException>(() => sb.MapFile("/dev/null", GuestAddress));
    }
}
