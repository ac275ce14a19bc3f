using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Hyperlight;

/// <summary>Facts about the loaded native library, and its process-wide settings.</summary>
public static unsafe class HyperlightLibrary
{
    /// <summary>hl_version() of the loaded library: (major &lt;&lt; 16) | (minor &lt;&lt; 8) | patch.
    /// Compare with <see cref="AbiInfo.Version"/>.</summary>
    public static uint Version => NativeMethods.hl_version();

    /// <summary>hl_version_string() of the loaded library, for example "0.1.0".</summary>
    public static string VersionString =>
        Marshal.PtrToStringUTF8((System.IntPtr)NativeMethods.hl_version_string()) ?? string.Empty;

    /// <summary>
    /// The signal hyperlight uses (or will use) to interrupt vCPU threads for
    /// kills, cancellation and timeouts: SIGRTMIN + the offset of
    /// <see cref="SetInterruptSignalOffset"/>.
    /// </summary>
    public static int InterruptSignal => NativeMethods.hl_interrupt_signal();

    /// <summary>
    /// Chooses, process-wide, the real-time signal SIGRTMIN +
    /// <paramref name="offset"/> that interrupts vCPU threads (default 5). Call
    /// it before creating the first sandbox, and pick a signal nothing else in
    /// the process uses (CoreCLR uses SIGRTMIN itself).
    /// </summary>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.InvalidArgument"/> above SIGRTMAX;
    /// <see cref="ErrorCode.Busy"/> once a sandbox has been created with another offset.</exception>
    public static void SetInterruptSignalOffset(uint offset) =>
        HyperlightException.ThrowIfError(NativeMethods.hl_set_interrupt_signal_offset(offset));

    /// <summary>
    /// Sets, process-wide, how long a kill (or a timeout) waits before
    /// re-sending its signal to a vCPU still inside the guest (default 200 µs).
    /// Re-sending stops when the call leaves the guest, or after one second.
    /// Any thread, any time. The delay is passed in whole nanoseconds.
    /// </summary>
    /// <param name="delay">1 µs to 100 ms.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.InvalidArgument"/> outside 1 µs to 100 ms.</exception>
    public static void SetInterruptRetryDelay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero, nameof(delay));
        HyperlightException.ThrowIfError(NativeMethods.hl_set_interrupt_retry_delay_ns(ToNs(delay)));
    }

    /// <summary>
    /// Sets, process-wide, how many pre-created VMs to keep ready for new
    /// sandboxes (<see cref="Sandbox.FromSnapshot"/> and the others draw from
    /// the pool; default 2). A background thread refills the pool and scrubs
    /// or tears down the VMs of disposed sandboxes, so neither costs the
    /// caller's thread. The same number caps the disposed sandboxes kept for
    /// reuse by <see cref="Sandbox.FromSnapshot"/>. 0 turns the pool off, keeps
    /// no sandboxes and frees idle VMs. Any thread, any time.
    /// </summary>
    /// <param name="size">0 to 64.</param>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.InvalidArgument"/> above 64.</exception>
    public static void SetVmPoolSize(uint size) =>
        HyperlightException.ThrowIfError(NativeMethods.hl_set_vm_pool_size(size));

    /// <summary>
    /// A time limit in nanoseconds for the library: positive values convert
    /// (saturating: <see cref="TimeSpan.MaxValue"/> is <see cref="ulong.MaxValue"/>;
    /// the library takes every limit of 2^62 ns or more as none),
    /// <see cref="Timeout.InfiniteTimeSpan"/> is 0 (no limit), anything else is refused.
    /// </summary>
    internal static ulong ToTimeoutNs(TimeSpan timeout, string paramName)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return 0;
        }
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, timeout,
                "must be positive, or Timeout.InfiniteTimeSpan for no limit");
        }
        return ToNs(timeout);
    }

    // Non-negative TimeSpan to nanoseconds (1 tick = 100 ns), saturating.
    private static ulong ToNs(TimeSpan value)
    {
        ulong ticks = (ulong)value.Ticks;
        return ticks > ulong.MaxValue / 100 ? ulong.MaxValue : ticks * 100;
    }
}
