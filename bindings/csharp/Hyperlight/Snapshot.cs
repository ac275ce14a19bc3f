using System;

namespace Hyperlight;

/// <summary>
/// An immutable copy of a sandbox's state: guest memory, complete vCPU state,
/// mapped regions, guest counter and call state. Take one with
/// <see cref="Sandbox.Snapshot"/>, go back to it with
/// <see cref="Sandbox.Restore"/> or <see cref="Sandbox.CallAndRestore(Snapshot, string, object[])"/>,
/// start new sandboxes from it with <see cref="Sandbox.FromSnapshot"/>, or
/// keep it in a file (<see cref="Save"/>, <see cref="Load"/>).
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe: one snapshot may be used by any number of sandboxes on any
/// number of threads at once. Sandboxes restored to or created from it do not
/// need it afterwards (they do not keep it), so it may be disposed while they
/// live (not while a member of this object runs on
/// another thread — that member then still completes, and the native
/// snapshot goes away after it).
/// </para>
/// <para>
/// Host functions are not part of a snapshot, but their signatures are:
/// <see cref="Sandbox.Restore"/> refuses (<see cref="ErrorCode.SnapshotMismatch"/>)
/// a sandbox that lacks a host function registered when the snapshot was
/// taken, or has it with another signature.
/// </para>
/// <para>
/// A snapshot of a sandbox with <see cref="SharedMemory"/> mapped into it
/// keeps that memory alive (<see cref="SharedMemory.Dispose"/> refuses) until
/// the snapshot is disposed, since every restore maps it again; hyperlight
/// lets go of it then, unless a sandbox still maps it. Such a snapshot cannot
/// be saved (<see cref="ErrorCode.InvalidArgument"/>).
/// </para>
/// </remarks>
public sealed class Snapshot : IDisposable
{
    private readonly SnapshotSafeHandle _handle;

    internal Snapshot(SnapshotSafeHandle handle)
    {
        _handle = handle;
    }

    /// <summary>
    /// Bytes of guest memory of the sandboxes this snapshot fits (as
    /// <see cref="Sandbox.MemorySize"/>). Any thread.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The snapshot was disposed.</exception>
    public ulong MemorySize
    {
        get
        {
            ThrowIfDisposed();
            // The SafeHandle marshaller keeps the handle alive during the call.
            return NativeMethods.hl_snapshot_memory_size(_handle);
        }
    }

    /// <summary>
    /// Writes the snapshot to <paramref name="path"/> (replaced atomically):
    /// a versioned, checksummed file that <see cref="Load"/> reads back, in
    /// this process or another one using the same library and guest ABI.
    /// Any thread.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The snapshot was disposed.</exception>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.Io"/> (naming the path and the
    /// system error); <see cref="ErrorCode.InvalidArgument"/> if the snapshot holds
    /// <see cref="SharedMemory"/> or file regions (they point at host memory).</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfDisposed();
        HyperlightException.ThrowIfError(NativeMethods.hl_snapshot_save(_handle, path));
    }

    /// <summary>
    /// Reads a snapshot file written by <see cref="Save"/>, verifying its
    /// version, checksum and structure. Any thread.
    /// </summary>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.Io"/>,
    /// <see cref="ErrorCode.SnapshotCorrupt"/> (truncated, checksum mismatch or malformed),
    /// <see cref="ErrorCode.SnapshotVersion"/> (another format or guest ABI version).</exception>
    public static Snapshot Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        IntPtr err = NativeMethods.hl_snapshot_load(path, out SnapshotSafeHandle handle);
        if (err != IntPtr.Zero)
        {
            handle.Dispose();
            HyperlightException.ThrowIfError(err);
        }
        return new Snapshot(handle);
    }

    /// <summary>
    /// Deletes the snapshot (hl_snapshot_delete) once no native call through it
    /// runs any more, and with it the snapshot's hold on the
    /// <see cref="SharedMemory"/> it records. Safe to call more than once.
    /// </summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// The handle, for a sandbox operation (its P/Invoke holds a reference on it during the call).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The snapshot was disposed.</exception>
    internal SnapshotSafeHandle GetHandle()
    {
        ThrowIfDisposed();
        return _handle;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
}
