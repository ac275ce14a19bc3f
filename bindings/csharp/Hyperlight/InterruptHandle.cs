using System;

namespace Hyperlight;

/// <summary>
/// Stops a sandbox's running call from any thread. Stays valid after the
/// sandbox is disposed (then <see cref="Kill"/> returns
/// <see cref="KillResult.SandboxGone"/>). Dispose it when done.
/// </summary>
public sealed class InterruptHandle : IDisposable
{
    private readonly InterruptHandleSafeHandle _handle;

    internal InterruptHandle(InterruptHandleSafeHandle handle)
    {
        _handle = handle;
    }

    /// <summary>
    /// Stops the call running in the sandbox, if any: that call fails with
    /// <see cref="ErrorCode.Cancelled"/> and the sandbox is poisoned. A kill
    /// that finds no running call does nothing and never cancels a later call.
    /// Thread-safe: any thread, any time.
    /// </summary>
    public KillResult Kill()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        // The SafeHandle marshaller keeps the handle alive for the duration of
        // hl_kill even if Dispose races with it.
        return (KillResult)NativeMethods.hl_kill(_handle);
    }

    /// <summary>Drops the handle (hl_interrupt_handle_delete). Safe to call more than once.</summary>
    public void Dispose() => _handle.Dispose();
}
