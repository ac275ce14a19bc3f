using System;
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
/// A sandbox keeps the memory alive while it is mapped: <see cref="Dispose"/>
/// throws <see cref="InvalidOperationException"/> until every sandbox it is
/// mapped into has unmapped it (<see cref="Sandbox.UnmapRegion"/>) or been
/// disposed. A <see cref="Hyperlight.Snapshot"/> taken while it was mapped
/// keeps it too (a restore maps it again), until the snapshot is disposed.
/// Dispose sandboxes and snapshots before the memory mapped into them. Memory
/// that is never disposed is freed by its finalizer, never before the
/// sandboxes and snapshots it is mapped into are deleted.
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

    /// <summary>
    /// Counts a new mapping and takes a reference on the native block, so it
    /// stays allocated until <see cref="ReleaseMapping"/> (even if the
    /// finalizer runs meanwhile). Returns the block's address.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    internal void* AcquireMapping()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            bool added = false;
            _handle.DangerousAddRef(ref added);
            _mappings++;
            return (void*)_handle.DangerousGetHandle();
        }
    }

    /// <summary>Undoes one <see cref="AcquireMapping"/>; called once the region is unmapped or its sandbox deleted.</summary>
    internal void ReleaseMapping()
    {
        lock (_gate)
        {
            _mappings--;
            _handle.DangerousRelease(); // frees the block if Dispose or the finalizer came first
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
