using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Hyperlight;

/// <summary>Facts about the loaded native library and its default engine.</summary>
public static unsafe class HyperlightLibrary
{
    /// <summary>hl_version() of the loaded library: (major &lt;&lt; 16) | (minor &lt;&lt; 8) | patch.
    /// Compare with <see cref="AbiInfo.Version"/>.</summary>
    public static uint Version => NativeMethods.hl_version();

    /// <summary>hl_version_string() of the loaded library, for example "0.1.0".</summary>
    public static string VersionString =>
        Marshal.PtrToStringUTF8((System.IntPtr)NativeMethods.hl_version_string()) ?? string.Empty;

    /// <summary>
    /// The signal the default engine uses to interrupt vCPU threads for kills,
    /// cancellation and timeouts of the sandboxes whose
    /// <see cref="SandboxOptions.Engine"/> is null: SIGRTMIN + 5. Reading it
    /// does not create the default engine. Other engines report theirs in
    /// <see cref="Engine.InterruptSignal"/>.
    /// </summary>
    public static int InterruptSignal => NativeMethods.hl_engine_interrupt_signal(IntPtr.Zero);

    /// <summary>
    /// The default engine's metrics (hl_engine_metrics), as
    /// <see cref="Engine.GetMetrics"/> for other engines. Makes the default
    /// engine if no sandbox has used it yet (all zero then). Any thread.
    /// </summary>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.NoHypervisor"/> if the
    /// default engine could not be made.</exception>
    public static EngineMetrics GetMetrics()
    {
        HlMetrics metrics;
        HyperlightException.ThrowIfError(NativeMethods.hl_engine_metrics_default(IntPtr.Zero, &metrics));
        HyperlightTelemetry.NoteDefaultEngineUsed(); // it exists now
        return new EngineMetrics(in metrics);
    }

    /// <summary>
    /// The default engine's metrics in the Prometheus text format
    /// (hl_engine_metrics_write_prometheus), as <see cref="Engine.GetPrometheusText"/>.
    /// Makes the default engine if no sandbox has used it yet. Any thread.
    /// </summary>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.NoHypervisor"/> if the
    /// default engine could not be made.</exception>
    public static string GetPrometheusText()
    {
        byte* text = null;
        nuint length = 0;
        HyperlightException.ThrowIfError(
            NativeMethods.hl_engine_metrics_write_prometheus_default(IntPtr.Zero, &text, &length));
        HyperlightTelemetry.NoteDefaultEngineUsed();
        return EngineMetrics.TakePrometheusText(text, length);
    }

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

    /// <summary>A non-negative TimeSpan in nanoseconds (1 tick = 100 ns), saturating.</summary>
    internal static ulong ToNs(TimeSpan value)
    {
        ulong ticks = (ulong)value.Ticks;
        return ticks > ulong.MaxValue / 100 ? ulong.MaxValue : ticks * 100;
    }
}
