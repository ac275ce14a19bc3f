using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hyperlight;

/// <summary>
/// Page-aligned native memory that can be mapped into sandboxes with
/// <see cref="Sandbox.MapRegion"/>. The guest sees it read-only; changes the
/// host makes through <see cref="Span"/> are visible to the guest at once.
/// </summary>
/// <remarks>
/// <para>
/// Managed arrays cannot be mapped (the GC may move them, and hyperlight keeps
/// the host pointer until the region is unmapped), hence this type. The
/// memory is zero-filled on allocation and its size is rounded up to whole
/// 4 KiB pages.
/// </para>
/// <para>
/// hyperlight keeps the memory alive while it may use it: <see cref="Dispose"/>
/// throws <see cref="InvalidOperationException"/> until every sandbox it is
/// mapped into has unmapped it (<see cref="Sandbox.UnmapRegion"/>, or a
/// restore of a snapshot without it) or been disposed, and every
/// <see cref="Hyperlight.Snapshot"/> taken while it was mapped (a restore maps
/// it again) has been disposed. hyperlight says so itself: each
/// <see cref="Sandbox.MapRegion"/> hands it a reference that its region
/// finalizer gives back. Dispose sandboxes and snapshots before the memory
/// mapped into them. Memory that is never disposed is freed by its finalizer,
/// never before hyperlight has let go of it.
/// </para>
/// <para>
/// A <see cref="Span{T}"/> obtained from <see cref="Span"/> or
/// <see cref="GetSpan"/> must not be used after <see cref="Dispose"/>.
/// Thread-safe, except for what is written through the spans.
/// </para>
/// </remarks>
public sealed unsafe class SharedMemory : IDisposable
{
    /// <summary>The page size every mapping is aligned and rounded to.</summary>
    public const int PageSize = 4096;

    private readonly SharedMemorySafeHandle _handle;
    private readonly object _gate = new();
    private int _mappings;

    /// <summary>Allocates <paramref name="size"/> bytes, rounded up to whole pages, zero-filled.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive, or too large.</exception>
    /// <exception cref="OutOfMemoryException">The allocation failed.</exception>
    public SharedMemory(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, long.MaxValue - (PageSize - 1));
        long length = (size + PageSize - 1) & ~(long)(PageSize - 1);
        if ((ulong)length > nuint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "larger than the address space");
        }
        _handle = new SharedMemorySafeHandle((nuint)length);
        Length = length;
    }

    /// <summary>The size in bytes: a multiple of <see cref="PageSize"/>.</summary>
    public long Length { get; }

    /// <summary>The whole block. Use <see cref="GetSpan"/> for blocks over 2 GiB.</summary>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    /// <exception cref="InvalidOperationException">The block is larger than a span can be.</exception>
    public Span<byte> Span
    {
        get
        {
            if (Length > int.MaxValue)
            {
                throw new InvalidOperationException(
                    $"the block ({Length} bytes) is larger than a Span<byte>; use GetSpan(offset, length)");
            }
            return GetSpan(0, (int)Length);
        }
    }

    /// <summary>Whether any sandbox currently maps this memory, or a snapshot holds it.</summary>
    public bool IsMapped
    {
        get
        {
            lock (_gate)
            {
                return _mappings > 0;
            }
        }
    }

    /// <summary>A part of the block.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the block.</exception>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public Span<byte> GetSpan(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(length),
                $"[{offset}, +{length}) is not inside the block of {Length} bytes");
        }
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return new Span<byte>((byte*)_handle.DangerousGetHandle() + offset, length);
    }

    /// <summary>Frees the memory. Safe to call more than once.</summary>
    /// <exception cref="InvalidOperationException">The memory is still mapped into a sandbox, or held by a snapshot.</exception>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_mappings > 0)
            {
                throw new InvalidOperationException(
                    $"the memory is still mapped into {_mappings} region(s) of sandboxes or snapshots; unmap it, " +
                    "or dispose those sandboxes and snapshots first");
            }
            _handle.Dispose();
        }
    }

    /// <summary>The region finalizer to pass with <see cref="Lend"/>'s user_data.</summary>
    internal static delegate* unmanaged[Cdecl]<IntPtr, void> RegionFinalizerPointer => &RegionFinalizer;

    /// <summary>
    /// Lends the memory for one hl_sandbox_map_region: counts the region,
    /// takes a reference on the native block (so it stays allocated even if
    /// the finalizer runs meanwhile) and returns the region's user_data (a
    /// GCHandle, which also keeps this object alive) and the block's address.
    /// Pass the user_data with <see cref="RegionFinalizerPointer"/>: hyperlight
    /// calls it exactly once, and only that gives the memory back.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    internal IntPtr Lend(out void* address)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            GCHandle state = GCHandle.Alloc(this);
            bool added = false;
            _handle.DangerousAddRef(ref added);
            _mappings++;
            address = (void*)_handle.DangerousGetHandle();
            return GCHandle.ToIntPtr(state);
        }
    }

    /// <summary>
    /// The hl_finalizer_t of a region (hyperlight calls it exactly once: when
    /// no sandbox maps the region and no snapshot records it, or before a
    /// failed map returns): undoes <see cref="Lend"/>.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void RegionFinalizer(IntPtr userData)
    {
        try
        {
            GCHandle state = GCHandle.FromIntPtr(userData);
            var memory = (SharedMemory)state.Target!;
            state.Free();
            lock (memory._gate)
            {
                memory._mappings--;
                memory._handle.DangerousRelease(); // frees the block if Dispose or the finalizer came first
            }
        }
        catch
        {
            // Nothing may cross into native code.
        }
    }
}

/// <summary>Owns a block from NativeMemory.AlignedAlloc.</summary>
internal sealed unsafe class SharedMemorySafeHandle : SafeHandle
{
    /// <summary>Allocates <paramref name="length"/> zero-filled bytes, page-aligned.</summary>
    internal SharedMemorySafeHandle(nuint length) : base(IntPtr.Zero, ownsHandle: true)
    {
        void* p = NativeMemory.AlignedAlloc(length, SharedMemory.PageSize);
        // Zero-fill: the guest must never see stale host heap contents.
        NativeMemory.Clear(p, length);
        SetHandle((IntPtr)p);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }
}
