using System;
using System.Threading;

namespace Hyperlight;

/// <summary>
/// Settings of an <see cref="Engine"/>; null properties keep the library's
/// defaults. Read when the engine is created: changing the options later does
/// not affect it.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>
    /// How many pre-created VMs the engine keeps ready for its new sandboxes
    /// (<see cref="Sandbox.FromSnapshot"/> draws from them), and how many
    /// disposed sandboxes made from snapshots it keeps for reuse by the next
    /// <see cref="Sandbox.FromSnapshot"/> of the same snapshot (stripped of
    /// their host functions, logger and interrupt handles). A background
    /// thread of the engine refills the pool and scrubs or tears down the VMs
    /// of disposed sandboxes, so neither costs the caller's thread. 0 to 64;
    /// 0 turns both off. Null: 2.
    /// </summary>
    public uint? VmPoolSize { get; set; }

    /// <summary>
    /// The real-time signal SIGRTMIN + offset that interrupts the engine's
    /// vCPU threads for kills, cancellation and timeouts, at most SIGRTMAX.
    /// Null: 5. Engines may use different signals; pick ones nothing else in
    /// the process uses.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to 0: CoreCLR interrupts its own threads
    /// with SIGRTMIN, which the library would then take for its own.</exception>
    public uint? InterruptSignalOffset
    {
        get => _interruptSignalOffset;
        set
        {
            if (value == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(InterruptSignalOffset), value,
                    "SIGRTMIN is CoreCLR's own signal (thread suspension for the garbage collector): use 1 or more");
            }
            _interruptSignalOffset = value;
        }
    }

    private uint? _interruptSignalOffset;

    /// <summary>
    /// How long a kill (or a timeout) waits before re-sending its signal to a
    /// vCPU still inside the guest (a signal can be missed while the thread
    /// briefly blocks it). Re-sending stops when the call leaves the guest, or
    /// after one second. 1 µs to 100 ms, passed in whole nanoseconds. Null:
    /// 200 µs.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public TimeSpan? InterruptRetryDelay
    {
        get => _interruptRetryDelay;
        set
        {
            if (value is TimeSpan t)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(t, TimeSpan.Zero, nameof(InterruptRetryDelay));
            }
            _interruptRetryDelay = value;
        }
    }

    private TimeSpan? _interruptRetryDelay;

    /// <summary>
    /// The engine's name in telemetry: the value of the "engine" tag of its
    /// measurements and activities (<see cref="HyperlightTelemetry"/>). Give
    /// each engine its own. Null: "engine-N", N counting the engines made in
    /// this process from 1. The default engine is "default".
    /// </summary>
    public string? Name { get; set; }
}

/// <summary>
/// What sandboxes share: the KVM handle, a pool of pre-created VMs, the timer
/// thread behind time limits, disposed sandboxes kept warm for
/// <see cref="Sandbox.FromSnapshot"/>, and the signal that interrupts calls.
/// Sandboxes whose <see cref="SandboxOptions.Engine"/> is null use the default
/// engine, made on first use with default settings and kept until the process
/// exits. Make an engine for other settings, or to keep groups of sandboxes
/// apart, and name it in <see cref="SandboxOptions.Engine"/>.
/// </summary>
/// <remarks>
/// <para>
/// The library counts references to an engine: every sandbox made with it
/// holds one. Disposing the engine drops this object's reference only, so it
/// may be disposed while its sandboxes live (even during their calls); the
/// engine stops, and its threads are joined, when the last of them is disposed
/// too. Creating a sandbox with a disposed engine throws
/// <see cref="ObjectDisposedException"/>.
/// </para>
/// <para>
/// Thread-safe: an engine may be used by any number of sandboxes and threads at
/// once. Do not dispose it from a host function or logger of one of its
/// sandboxes.
/// </para>
/// </remarks>
public sealed class Engine : IDisposable
{
    private static int _unnamedEngines;

    private readonly EngineSafeHandle _handle;

    /// <summary>Makes an engine (hl_engine_new). Its threads start when first needed.</summary>
    /// <param name="options">The settings; null for the defaults.</param>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.InvalidArgument"/> for an option out of
    /// range (a VM pool above 64, a signal above SIGRTMAX, a retry delay outside 1 µs to 100 ms);
    /// <see cref="ErrorCode.NoHypervisor"/> without a usable /dev/kvm.</exception>
    public Engine(EngineOptions? options = null)
    {
        using EngineConfigSafeHandle config = NativeMethods.hl_engine_config_new();
        if (config.IsInvalid)
        {
            throw new HyperlightException(ErrorCode.OutOfMemory, "hl_engine_config_new failed");
        }
        if (options?.VmPoolSize is uint size)
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_engine_config_set_vm_pool_size(config, size));
        }
        if (options?.InterruptSignalOffset is uint offset)
        {
            HyperlightException.ThrowIfError(
                NativeMethods.hl_engine_config_set_interrupt_signal_offset(config, offset));
        }
        if (options?.InterruptRetryDelay is TimeSpan delay)
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_engine_config_set_interrupt_retry_delay_ns(
                config, HyperlightLibrary.ToNs(delay)));
        }
        IntPtr err = NativeMethods.hl_engine_new(config, out EngineSafeHandle handle);
        if (err != IntPtr.Zero)
        {
            handle.Dispose();
            HyperlightException.ThrowIfError(err);
        }
        _handle = handle;
        // No other thread knows the handle yet.
        InterruptSignal = NativeMethods.hl_engine_interrupt_signal(handle.DangerousGetHandle());
        Name = options?.Name ?? "engine-" + Interlocked.Increment(ref _unnamedEngines);
        HyperlightTelemetry.Track(this);
    }

    /// <summary>
    /// The engine's name in telemetry (the "engine" tag): <see cref="EngineOptions.Name"/>,
    /// or "engine-N" if that was null.
    /// </summary>
    public string Name { get; }

    /// <summary>
    /// Reads the engine's counters and histograms since it was made
    /// (hl_engine_metrics): calls and failures by error code, kills, host
    /// calls, VM exits, restores, sandboxes made by origin and deleted,
    /// printed bytes, and call, restore and creation durations. Takes no lock;
    /// any thread, also while calls run (then the counters may be a call apart
    /// from each other). The default engine's: <see cref="HyperlightLibrary.GetMetrics"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public unsafe EngineMetrics GetMetrics()
    {
        HlMetrics metrics;
        HyperlightException.ThrowIfError(NativeMethods.hl_engine_metrics(GetHandle(), &metrics));
        return new EngineMetrics(in metrics);
    }

    /// <summary>
    /// The engine's metrics in the Prometheus text exposition format 0.0.4
    /// (hl_engine_metrics_write_prometheus), for a scrape endpoint:
    /// hyperlight_calls_total, hyperlight_call_failures_total{code="TIMEOUT"},
    /// hyperlight_call_duration_seconds and the rest (docs/observability.md).
    /// Any thread.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public unsafe string GetPrometheusText()
    {
        byte* text = null;
        nuint length = 0;
        HyperlightException.ThrowIfError(
            NativeMethods.hl_engine_metrics_write_prometheus(GetHandle(), &text, &length));
        return EngineMetrics.TakePrometheusText(text, length);
    }

    /// <summary>
    /// The metrics for telemetry, or null once the engine is disposed (it
    /// then drops out of the measurements).
    /// </summary>
    internal unsafe EngineMetrics? TryGetMetrics()
    {
        if (_handle.IsClosed)
        {
            return null;
        }
        try
        {
            HlMetrics metrics;
            IntPtr err = NativeMethods.hl_engine_metrics(_handle, &metrics);
            if (err != IntPtr.Zero)
            {
                HyperlightException.FromNative(err); // frees it
                return null;
            }
            return new EngineMetrics(in metrics);
        }
        catch (ObjectDisposedException)
        {
            return null; // disposed meanwhile
        }
    }

    /// <summary>
    /// The signal the engine uses to interrupt its sandboxes' calls: SIGRTMIN +
    /// <see cref="EngineOptions.InterruptSignalOffset"/>. Also after
    /// <see cref="Dispose"/>.
    /// </summary>
    public int InterruptSignal { get; }

    /// <summary>
    /// Drops this object's reference to the engine (hl_engine_delete).
    /// Sandboxes made with it keep theirs and work on; if none is left, the
    /// engine stops and joins its threads before this returns. Safe to call
    /// more than once.
    /// </summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>The handle, for a config that takes a reference of its own.</summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    internal EngineSafeHandle GetHandle()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return _handle;
    }
}
