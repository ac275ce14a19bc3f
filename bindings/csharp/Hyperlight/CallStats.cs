using System;
using System.Threading;

namespace Hyperlight;

/// <summary>
/// Per-call settings (hl_call_options_t) for the overloads of
/// <see cref="Sandbox.Call(string, CallOptions?, out CallStats, object[])"/> and
/// <see cref="Sandbox.CallAndRestore(Snapshot, string, CallOptions?, out CallStats, object[])"/>
/// that take them. A null property keeps the sandbox's own setting
/// (<see cref="SandboxOptions.CallTimeout"/>, <see cref="SandboxOptions.CallCpuBudget"/>).
/// </summary>
/// <remarks>
/// The binding sets hl_call_options_t's flag bits (<see cref="CallOptionFlags"/>) itself.
/// </remarks>
public sealed record CallOptions
{
    private readonly TimeSpan? _timeout;
    private readonly TimeSpan? _cpuBudget;

    /// <summary>
    /// This call's wall-clock time limit, host functions included (as
    /// <see cref="Sandbox.Call(string, TimeSpan, object[])"/>): positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none (not even the sandbox's
    /// <see cref="SandboxOptions.CallTimeout"/>); <see cref="TimeSpan.MaxValue"/>
    /// also means none. A call that exceeds it fails with
    /// <see cref="ErrorCode.Timeout"/>. Null: the sandbox's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value
    /// (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    public TimeSpan? Timeout
    {
        get => _timeout;
        init
        {
            if (value is TimeSpan t)
            {
                HyperlightLibrary.ToTimeoutNs(t, nameof(Timeout)); // validates
            }
            _timeout = value;
        }
    }

    /// <summary>
    /// This call's guest CPU-time budget (see <see cref="SandboxOptions.CallCpuBudget"/>):
    /// positive, or <see cref="Timeout.InfiniteTimeSpan"/> for none (not even the
    /// sandbox's); <see cref="TimeSpan.MaxValue"/> also means none. A call whose
    /// guest uses more fails with <see cref="ErrorCode.CpuBudgetExceeded"/>.
    /// Null: the sandbox's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value
    /// (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    public TimeSpan? CpuBudget
    {
        get => _cpuBudget;
        init
        {
            if (value is TimeSpan t)
            {
                HyperlightLibrary.ToTimeoutNs(t, nameof(CpuBudget)); // validates
            }
            _cpuBudget = value;
        }
    }

    /// <summary>The settings as hl_call_options_t.</summary>
    internal HlCallOptions ToNative()
    {
        HlCallOptions options = default;
        if (_timeout is TimeSpan timeout)
        {
            options.Flags |= (uint)CallOptionFlags.Timeout;
            options.TimeoutNs = HyperlightLibrary.ToTimeoutNs(timeout, nameof(Timeout));
        }
        if (_cpuBudget is TimeSpan budget)
        {
            options.Flags |= (uint)CallOptionFlags.CpuBudget;
            options.CpuBudgetNs = HyperlightLibrary.ToTimeoutNs(budget, nameof(CpuBudget));
        }
        return options;
    }
}

/// <summary>
/// What one call cost (hl_call_stats_t), from the overloads of
/// <see cref="Sandbox.Call(string, CallOptions?, out CallStats, object[])"/> and
/// <see cref="Sandbox.CallAndRestore(Snapshot, string, CallOptions?, out CallStats, object[])"/>
/// that return it; a call that failed carries it in <see cref="HyperlightException.Stats"/>.
/// Durations have the resolution of <see cref="TimeSpan"/> (100 ns).
/// </summary>
/// <param name="Wall">Wall-clock time of the call, from entering the library to the result
/// (the restore of CallAndRestore included).</param>
/// <param name="GuestCpu">CPU time the calling thread spent in the call (the guest running,
/// and the library handling its exits) without the time inside host functions: what a CPU
/// budget counts.</param>
/// <param name="HostFunctions">Wall-clock time inside host functions the guest called.</param>
/// <param name="Restore">Wall-clock time of CallAndRestore's restore; zero for Call.</param>
/// <param name="VmExits">Times the vCPU left the guest (each host call, print and log record is
/// one; so is the call's end).</param>
/// <param name="HostCalls">Host functions the guest called.</param>
/// <param name="PagesRestored">4 KiB pages CallAndRestore's restore copied back; zero for Call.</param>
/// <param name="PrintBytes">Bytes the guest printed.</param>
/// <param name="PrintBytesDropped">Of those, bytes past <see cref="SandboxOptions.PrintLimit"/>
/// that <see cref="SandboxOptions.PrintWriter"/> did not get.</param>
public readonly record struct CallStats(
    TimeSpan Wall,
    TimeSpan GuestCpu,
    TimeSpan HostFunctions,
    TimeSpan Restore,
    ulong VmExits,
    ulong HostCalls,
    ulong PagesRestored,
    ulong PrintBytes,
    ulong PrintBytesDropped)
{
    internal static CallStats FromNative(in HlCallStats s) =>
        new(FromNs(s.WallNs), FromNs(s.GuestCpuNs), FromNs(s.HostFunctionNs), FromNs(s.RestoreNs), s.VmExits,
            s.HostCalls, s.PagesRestored, s.PrintBytes, s.PrintBytesDropped);

    /// <summary>Nanoseconds as a TimeSpan (truncated to 100 ns ticks; cannot overflow).</summary>
    internal static TimeSpan FromNs(ulong ns) => TimeSpan.FromTicks((long)(ns / 100));
}
