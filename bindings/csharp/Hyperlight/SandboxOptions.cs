using System;
using System.IO;

namespace Hyperlight;

/// <summary>
/// Sandbox settings; null properties keep the library's defaults. Read when a
/// sandbox is created: changing the options later does not affect it.
/// </summary>
public sealed class SandboxOptions
{
    /// <summary>Guest heap size in bytes (rounded up to 4 KiB; 64 KiB to 1 GiB). Default 4 MiB.</summary>
    public ulong? HeapSize { get; set; }

    /// <summary>Guest stack size in bytes (rounded up to 4 KiB; 16 KiB to 256 MiB). Default 256 KiB.</summary>
    public ulong? StackSize { get; set; }

    /// <summary>
    /// Size in bytes of the buffer that carries calls (name and arguments) and
    /// host-function results into the guest (rounded up to 4 KiB; 4 KiB to
    /// 256 MiB). Default 64 KiB. Larger arguments fail with
    /// <see cref="ErrorCode.TooLarge"/>.
    /// </summary>
    public ulong? InputBufferSize { get; set; }

    /// <summary>
    /// Size in bytes of the buffer that carries results, host calls and log
    /// records out of the guest (rounded up to 4 KiB; 4 KiB to 256 MiB).
    /// Default 64 KiB.
    /// </summary>
    public ulong? OutputBufferSize { get; set; }

    /// <summary>
    /// The most verbose level the guest sends (<see cref="LogLevel.Off"/> ..
    /// <see cref="LogLevel.Trace"/>); records above it cost the guest nothing.
    /// Null: the HYPERLIGHT_LOG environment variable (off, error, warn, info,
    /// debug, trace), else <see cref="LogLevel.Warn"/>.
    /// </summary>
    public LogLevel? MaxLogLevel { get; set; }

    /// <summary>
    /// Receives the guest's log records: level (<see cref="LogLevel.Error"/> ..
    /// <see cref="LogLevel.Trace"/>), guest source file, line and message.
    /// Null: records go to stderr.
    /// </summary>
    /// <remarks>
    /// Runs on the thread that called <see cref="Sandbox.Call(string, object[])"/>,
    /// or that created the sandbox (records of the guest's initialisation).
    /// One logger shared by several sandboxes may run on several threads at
    /// once. It must not use the sandbox. Exceptions it throws are swallowed
    /// (the record is dropped). The text comes from the guest: treat it as
    /// untrusted. The sandbox keeps the delegate alive until it is disposed.
    /// </remarks>
    public Action<LogLevel, string, uint, string>? Logger { get; set; }

    /// <summary>
    /// Default time limit of every call on the sandbox
    /// (<see cref="Sandbox.Call(string, object[])"/> and its overloads without
    /// their own timeout); the guest's initialisation has its own,
    /// <see cref="InitTimeout"/>. A call that exceeds it fails with
    /// <see cref="ErrorCode.Timeout"/> and poisons the sandbox. Null (the
    /// default), <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> or
    /// <see cref="TimeSpan.MaxValue"/>: no limit (as is any limit of 2^62 ns,
    /// about 146 years, or more). Otherwise it must be positive.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value
    /// (other than <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>).</exception>
    public TimeSpan? CallTimeout
    {
        get => _callTimeout;
        set
        {
            if (value is TimeSpan t)
            {
                HyperlightLibrary.ToTimeoutNs(t, nameof(CallTimeout)); // validates
            }
            _callTimeout = value;
        }
    }

    private TimeSpan? _callTimeout;

    /// <summary>
    /// Default guest CPU-time budget of every call on the sandbox
    /// (hl_config_set_call_cpu_budget_ns; <see cref="CallOptions.CpuBudget"/>
    /// sets one per call). A call whose guest runs longer than this on the CPU
    /// fails with <see cref="ErrorCode.CpuBudgetExceeded"/> and poisons the
    /// sandbox, like a timeout, within about a millisecond of passing it.
    /// Unlike <see cref="CallTimeout"/>, time spent in host functions (waiting
    /// on I/O, say) does not count: the budget stops guests that compute too
    /// long, not calls that wait. Null (the default),
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> or
    /// <see cref="TimeSpan.MaxValue"/>: no budget. Otherwise it must be
    /// positive.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value
    /// (other than <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>).</exception>
    public TimeSpan? CallCpuBudget
    {
        get => _callCpuBudget;
        set
        {
            if (value is TimeSpan t)
            {
                HyperlightLibrary.ToTimeoutNs(t, nameof(CallCpuBudget)); // validates
            }
            _callCpuBudget = value;
        }
    }

    private TimeSpan? _callCpuBudget;

    /// <summary>
    /// Receives what the guest prints (printf, puts, hlg_print), decoded from
    /// UTF-8 (invalid bytes become U+FFFD), instead of the process's stdout
    /// (hl_config_set_print_callback): for example a <see cref="StringWriter"/>
    /// to capture it, or a logger's writer. At most <see cref="PrintLimit"/>
    /// bytes per call reach it. Null (the default): the guest prints to
    /// stdout, uncapped.
    /// </summary>
    /// <remarks>
    /// Written on the thread that called <see cref="Sandbox.Call(string, object[])"/>
    /// (or that created the sandbox, for what the guest prints while it
    /// initialises), during the call; it is not flushed. One writer shared by
    /// several sandboxes is written from several threads at once: share only
    /// a thread-safe one (<see cref="TextWriter.Synchronized"/>). Exceptions it
    /// throws are swallowed (that text is lost). The text comes from the
    /// guest: treat it as untrusted. The sandbox keeps the writer alive until
    /// it is disposed.
    /// </remarks>
    public TextWriter? PrintWriter { get; set; }

    /// <summary>
    /// The most bytes of guest output one call (or the guest's initialisation)
    /// hands <see cref="PrintWriter"/> (hl_config_set_print_limit): a guest
    /// cannot flood its host. Bytes past it are dropped and counted
    /// (<see cref="CallStats.PrintBytesDropped"/>). 0 drops everything. Null:
    /// the library's default, 65536. Applies only with a
    /// <see cref="PrintWriter"/>; output to stdout is not capped.
    /// </summary>
    public ulong? PrintLimit { get; set; }

    /// <summary>
    /// Time limit of the guest's initialisation when the sandbox is created
    /// (<see cref="Sandbox.FromFile"/>, <see cref="Sandbox.FromBytes"/>): a
    /// guest still initialising when it passes is stopped and creation fails
    /// with <see cref="ErrorCode.Timeout"/>, so a guest that never finishes
    /// starting cannot block its creator forever. Null (the default): the
    /// library's default of 10 s. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>
    /// or <see cref="TimeSpan.MaxValue"/>: no limit (as is any limit of 2^62 ns
    /// or more). Otherwise it must be positive. Ignored by
    /// <see cref="Sandbox.FromSnapshot"/>, which runs no initialisation.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value
    /// (other than <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>).</exception>
    public TimeSpan? InitTimeout
    {
        get => _initTimeout;
        set
        {
            if (value is TimeSpan t)
            {
                HyperlightLibrary.ToTimeoutNs(t, nameof(InitTimeout)); // validates
            }
            _initTimeout = value;
        }
    }

    private TimeSpan? _initTimeout;

    /// <summary>
    /// A blob every sandbox created with these options gets its own copy of,
    /// readable by the guest (hlg_init_data()) from its first instruction.
    /// Null: none. At most 256 MiB.
    /// </summary>
    public byte[]? InitData { get; set; }

    /// <summary>
    /// The guest's access to <see cref="InitData"/>: <see cref="MapFlags.Read"/>
    /// (the default), optionally with <see cref="MapFlags.Write"/> (allowed
    /// here: the blob is the sandbox's own copy) or <see cref="MapFlags.Execute"/>.
    /// </summary>
    public MapFlags InitDataFlags { get; set; } = MapFlags.Read;

    /// <summary>
    /// The engine the sandbox uses: its VM pool, time-limit timer and
    /// interrupt signal (hl_config_set_engine). Null: the default engine.
    /// Applies to <see cref="Sandbox.FromSnapshot"/> too. The sandbox holds its
    /// own reference to the engine, so the engine may be disposed once the
    /// sandbox is created; creating one with a disposed engine throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public Engine? Engine { get; set; }

    /// <summary>
    /// Host functions the sandbox starts with, shared with every other sandbox
    /// made with the same set (hl_config_set_host_functions): they are
    /// registered once for all of them. Null: none. Applies to
    /// <see cref="Sandbox.FromSnapshot"/> too, which then checks that the set
    /// has every host function the snapshot recorded. Creating a sandbox
    /// freezes the set (see <see cref="Hyperlight.HostFunctions"/>). The
    /// sandbox holds its own reference to the set, so the set may be disposed
    /// once the sandbox is created; creating one with a disposed set throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public HostFunctions? HostFunctions { get; set; }

    /// <summary>
    /// Debugs the sandbox in gdb (hl_config_set_gdb_port; see docs/debugging.md):
    /// <see cref="Sandbox.FromFile"/> and <see cref="Sandbox.FromBytes"/> listen on
    /// 127.0.0.1:<see cref="GdbPort"/>, print where to stderr and block until gdb
    /// connects (<c>target remote :PORT</c>), before the guest's first instruction;
    /// <see cref="Sandbox.FromSnapshot"/> blocks the same way and the guest stops at
    /// its first call. While gdb is attached calls have no time limit, and a guest
    /// fault stops in gdb before the call fails. A port in use fails creation with
    /// <see cref="ErrorCode.Debugger"/>; one sandbox per port at a time. 0: no
    /// debugging. Null (the default): the HYPERLIGHT_GDB_PORT environment variable,
    /// else no debugging.
    /// </summary>
    public ushort? GdbPort { get; set; }

    /// <summary>
    /// An existing directory where a guest exception, memory access violation,
    /// stack overflow, abort or triple fault writes an ELF core file of the guest
    /// (hl_config_set_crashdump_dir; hyperlight-guest-PID-TIME-N.core, mode 0600,
    /// never overwriting a file), for <c>gdb GUEST.elf CORE</c> (docs/debugging.md).
    /// The failed call's <see cref="HyperlightException"/> message then contains
    /// " (core dump: PATH)", or says why none was written. Empty: no crash dumps.
    /// Null (the default): the HYPERLIGHT_CRASHDUMP_DIR environment variable, else
    /// none. <see cref="Sandbox.Crashdump"/> writes a core on demand.
    /// </summary>
    /// <exception cref="ArgumentException">Set to a path containing a NUL character.</exception>
    public string? CrashdumpDirectory
    {
        get => _crashdumpDirectory;
        set
        {
            if (value != null && value.Contains('\0'))
            {
                throw new ArgumentException("the directory contains a NUL character", nameof(CrashdumpDirectory));
            }
            _crashdumpDirectory = value;
        }
    }

    private string? _crashdumpDirectory;
}
