using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;

namespace Hyperlight;

/// <summary>
/// One hyperlight micro-VM running one guest ELF. Call guest functions with
/// <see cref="Call(string, object[])"/>; let the guest call back into .NET with
/// <see cref="Register(string, Delegate)"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Not thread-safe.</b> Use a sandbox from one thread at a time. Concurrent
/// calls (or a host function calling back into its own sandbox) fail with a
/// <see cref="HyperlightException"/> whose code is <see cref="ErrorCode.Busy"/>;
/// they never corrupt the sandbox. The only members meant for other threads
/// are those of the <see cref="InterruptHandle"/> from
/// <see cref="GetInterruptHandle"/>, cancellation through a
/// <see cref="CancellationToken"/>, the guest counter
/// (<see cref="CounterIncrement"/>, <see cref="CounterDecrement"/>,
/// <see cref="CounterValue"/>) and <see cref="MemorySize"/>. Mapping and
/// unmapping memory while a call runs fails with <see cref="ErrorCode.Busy"/>,
/// and so do <see cref="Snapshot"/> and <see cref="Restore"/>.
/// </para>
/// <para>
/// After a call is cancelled or times out, or the guest faults or breaks the protocol, the
/// sandbox is poisoned (<see cref="Status"/>): later calls fail with
/// <see cref="ErrorCode.Poisoned"/>. <see cref="Restore"/> a snapshot taken
/// earlier to use it again, or dispose it and create a new one.
/// </para>
/// <para>
/// Values: int, uint, long, ulong, float, double, bool, string (UTF-8 on the
/// wire) and byte[] map to the HL_VAL_* kinds; a void result is null.
/// </para>
/// </remarks>
public sealed unsafe partial class Sandbox : IDisposable
{
    private readonly SandboxSafeHandle _handle;
    private readonly HostErrorSlot _hostErrors = new();
    private readonly string _engineName; // the telemetry tag
    private readonly GuestPrintSink? _printSink;
    private InterruptHandle? _cancelHandle; // created on first cancellable call
    private ulong _id; // hl_sandbox_id, read on first use
    private int _inCall;

    private Sandbox(SandboxSafeHandle handle, string engineName, GuestPrintSink? printSink)
    {
        _handle = handle;
        _engineName = engineName;
        _printSink = printSink;
    }

    /// <summary>Creates a sandbox from a guest ELF file and runs the guest's initialisation.</summary>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.Io"/>,
    /// <see cref="ErrorCode.InvalidElf"/>, <see cref="ErrorCode.NoHypervisor"/>,
    /// <see cref="ErrorCode.Timeout"/> (the initialisation ran past <see cref="SandboxOptions.InitTimeout"/>),
    /// <see cref="ErrorCode.Debugger"/> (<see cref="SandboxOptions.GdbPort"/> is in use).</exception>
    /// <exception cref="ObjectDisposedException">The options' <see cref="SandboxOptions.Engine"/> was disposed.</exception>
    public static Sandbox FromFile(string path, SandboxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Create(options, runtimeOnly: false, config =>
        {
            IntPtr err = NativeMethods.hl_sandbox_new(config, path, out SandboxSafeHandle handle);
            return (err, handle);
        });
    }

    /// <summary>Creates a sandbox from a guest ELF image in memory (copied) and runs the guest's initialisation.</summary>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.InvalidElf"/>,
    /// <see cref="ErrorCode.NoHypervisor"/>, <see cref="ErrorCode.Timeout"/> (the initialisation
    /// ran past <see cref="SandboxOptions.InitTimeout"/>), <see cref="ErrorCode.Debugger"/>
    /// (<see cref="SandboxOptions.GdbPort"/> is in use).</exception>
    /// <exception cref="ObjectDisposedException">The options' <see cref="SandboxOptions.Engine"/> was disposed.</exception>
    public static Sandbox FromBytes(byte[] elf, SandboxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(elf);
        return Create(options, runtimeOnly: false, config =>
        {
            fixed (byte* p = elf)
            {
                IntPtr err = NativeMethods.hl_sandbox_new_from_memory(config, p, (nuint)elf.Length,
                                                                      out SandboxSafeHandle handle);
                return (err, handle);
            }
        });
    }

    /// <summary>
    /// Creates a sandbox already in <paramref name="snapshot"/>'s state,
    /// without loading an ELF or running the guest's initialisation; its VM
    /// comes from the engine's pool when one is ready, or is a disposed
    /// sandbox of the same snapshot that the engine kept
    /// (<see cref="EngineOptions.VmPoolSize"/>). Any thread, also several at
    /// once from one snapshot.
    /// </summary>
    /// <remarks>
    /// Host functions are not part of a snapshot, only their names and
    /// signatures are. Give the new sandbox the ones the guest calls with
    /// <see cref="SandboxOptions.HostFunctions"/>, which must then have every
    /// one of them with the same signature (else <see cref="ErrorCode.SnapshotMismatch"/>,
    /// naming the first it lacks), or <see cref="Register(string, Delegate)"/>
    /// them on the new sandbox before the first call (and before restoring a
    /// snapshot that was taken with them registered). <see cref="SharedMemory"/>
    /// mapped when the snapshot was taken is mapped into the new sandbox too,
    /// which keeps it alive until it is unmapped or the sandbox disposed. The
    /// sandbox does not keep the snapshot.
    /// </remarks>
    /// <param name="snapshot">The state to start from; it may be disposed right after.</param>
    /// <param name="options">Only the runtime settings apply (<see cref="SandboxOptions.Logger"/>,
    /// <see cref="SandboxOptions.MaxLogLevel"/>, <see cref="SandboxOptions.CallTimeout"/>,
    /// <see cref="SandboxOptions.CallCpuBudget"/>, <see cref="SandboxOptions.PrintWriter"/>,
    /// <see cref="SandboxOptions.PrintLimit"/>, <see cref="SandboxOptions.Engine"/>, <see cref="SandboxOptions.HostFunctions"/>,
    /// <see cref="SandboxOptions.GdbPort"/>, <see cref="SandboxOptions.CrashdumpDirectory"/>);
    /// memory sizes and init data come from the snapshot, and those options are ignored, as is
    /// <see cref="SandboxOptions.InitTimeout"/> (no initialisation runs).</param>
    /// <exception cref="ObjectDisposedException">The snapshot, or the options' engine or host functions, was disposed.</exception>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.NoHypervisor"/>,
    /// <see cref="ErrorCode.OutOfMemory"/>, <see cref="ErrorCode.Hypervisor"/>,
    /// <see cref="ErrorCode.SnapshotMismatch"/> (the options' host functions lack one the snapshot needs),
    /// <see cref="ErrorCode.Debugger"/> (<see cref="SandboxOptions.GdbPort"/> is in use).</exception>
    public static Sandbox FromSnapshot(Snapshot snapshot, SandboxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        SnapshotSafeHandle snap = snapshot.GetHandle();
        return Create(options, runtimeOnly: true, config =>
        {
            IntPtr err = NativeMethods.hl_sandbox_new_from_snapshot(snap, config, out SandboxSafeHandle handle);
            return (err, handle);
        });
    }

    // runtimeOnly: put only the runtime settings into the config (memory sizes
    // and init data do not apply to sandboxes made from snapshots).
    private static Sandbox Create(SandboxOptions? options, bool runtimeOnly,
                                  Func<IntPtr, (IntPtr Error, SandboxSafeHandle Handle)> create)
    {
        string engineName = options?.Engine?.Name ?? HyperlightTelemetry.DefaultEngineName;
        bool timed = HyperlightTelemetry.CreateDuration.Enabled;
        long started = timed ? Stopwatch.GetTimestamp() : 0;
        IntPtr config = IntPtr.Zero;
        // Owned here until the sandbox's SafeHandle adopts them.
        GCHandle logState = default;
        GCHandle printState = default;
        try
        {
            GuestPrintSink? printSink = null;
            if (options != null)
            {
                config = NewConfig(options, runtimeOnly, ref logState, ref printState, out printSink);
            }
            (IntPtr error, SandboxSafeHandle handle) = create(config);
            if (error != IntPtr.Zero)
            {
                handle.Dispose();
                HyperlightException.ThrowIfError(error);
            }
            // From here the callbacks' state lives as long as the native
            // sandbox: the SafeHandle frees it after hl_sandbox_delete.
            handle.AdoptCallbackStates(logState, printState);
            logState = default;
            printState = default;
            if (options?.Engine == null)
            {
                HyperlightTelemetry.NoteDefaultEngineUsed();
            }
            printSink?.EndOfOutput(); // what the guest printed while it initialised
            if (timed)
            {
                HyperlightTelemetry.RecordCreate(started, engineName, failure: null);
            }
            return new Sandbox(handle, engineName, printSink);
        }
        catch (Exception e) when (timed)
        {
            HyperlightTelemetry.RecordCreate(started, engineName, e);
            throw;
        }
        finally
        {
            // hl_sandbox_new copies the config, so each sandbox has its own
            // copy; only the callbacks' state (user_data) must outlive it.
            NativeMethods.hl_config_delete(config); // NULL is ignored
            if (logState.IsAllocated)
            {
                logState.Free(); // no native sandbox was made with it
            }
            if (printState.IsAllocated)
            {
                printState.Free();
            }
        }
    }

    /// <summary>
    /// Builds an hl_config_t from the options; the GCHandles of a logger and
    /// of a print writer go to <paramref name="logState"/> and <paramref name="printState"/>.
    /// </summary>
    private static IntPtr NewConfig(SandboxOptions options, bool runtimeOnly, ref GCHandle logState,
                                    ref GCHandle printState, out GuestPrintSink? printSink)
    {
        printSink = null;
        IntPtr config = NativeMethods.hl_config_new();
        if (config == IntPtr.Zero)
        {
            throw new HyperlightException(ErrorCode.OutOfMemory, "hl_config_new failed");
        }
        try
        {
            if (!runtimeOnly)
            {
                SetMemoryOptions(config, options);
                if (options.InitTimeout is TimeSpan initTimeout)
                {
                    // Sandboxes made from a snapshot run no initialisation.
                    HyperlightException.ThrowIfError(NativeMethods.hl_config_set_init_timeout_ns(
                        config, HyperlightLibrary.ToTimeoutNs(initTimeout, nameof(options.InitTimeout))));
                }
            }
            if (options.MaxLogLevel is LogLevel level)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_max_log_level(config, (uint)level));
            }
            if (options.Logger is Action<LogLevel, string, uint, string> logger)
            {
                logState = GCHandle.Alloc(new GuestLogSink(logger));
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_log_callback(
                    config, GuestLogSink.CallbackPointer, GCHandle.ToIntPtr(logState)));
            }
            if (options.CallTimeout is TimeSpan callTimeout)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_call_timeout_ns(
                    config, HyperlightLibrary.ToTimeoutNs(callTimeout, nameof(options.CallTimeout))));
            }
            if (options.CallCpuBudget is TimeSpan cpuBudget)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_call_cpu_budget_ns(
                    config, HyperlightLibrary.ToTimeoutNs(cpuBudget, nameof(options.CallCpuBudget))));
            }
            if (options.PrintWriter is System.IO.TextWriter writer)
            {
                printSink = new GuestPrintSink(writer);
                printState = GCHandle.Alloc(printSink);
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_print_callback(
                    config, GuestPrintSink.CallbackPointer, GCHandle.ToIntPtr(printState)));
            }
            if (options.PrintLimit is ulong printLimit)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_print_limit(config, printLimit));
            }
            if (options.Engine is Engine engine)
            {
                // The config takes a reference of its own, and the sandbox
                // another: the engine may be disposed from here on.
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_engine(config, engine.GetHandle()));
            }
            if (options.HostFunctions is HostFunctions functions)
            {
                // As the engine: the config and then the sandbox hold references of their own.
                HyperlightException.ThrowIfError(
                    NativeMethods.hl_config_set_host_functions(config, functions.GetHandle()));
            }
            // Debugging applies to sandboxes made from snapshots too.
            if (options.GdbPort is ushort port)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_gdb_port(config, port));
            }
            if (options.CrashdumpDirectory is string directory)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_crashdump_dir(config, directory));
            }
            return config;
        }
        catch
        {
            NativeMethods.hl_config_delete(config);
            throw;
        }
    }

    /// <summary>Memory sizes and init data: the settings a snapshot brings along.</summary>
    private static void SetMemoryOptions(IntPtr config, SandboxOptions options)
    {
        if (options.HeapSize is ulong heap)
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_config_set_heap_size(config, heap));
        }
        if (options.StackSize is ulong stack)
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_config_set_stack_size(config, stack));
        }
        if (options.InputBufferSize is ulong input)
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_config_set_input_buffer_size(config, input));
        }
        if (options.OutputBufferSize is ulong output)
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_config_set_output_buffer_size(config, output));
        }
        if (options.InitData is byte[] initData)
        {
            fixed (byte* p = initData)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_config_set_init_data(
                    config, p, (nuint)initData.Length, (uint)options.InitDataFlags));
            }
        }
    }

    /// <summary>
    /// Registers a host function the guest can call by name. The signature is
    /// read from the delegate type: parameters and result may be int, uint,
    /// long, ulong, float, double, bool, string or byte[]; the result may also
    /// be void. An exception thrown by <paramref name="fn"/> is reported to the
    /// guest as a host function failure; if the guest call then fails with
    /// <see cref="ErrorCode.HostFunctionFailed"/>, that exception is its
    /// <see cref="Exception.InnerException"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The delegate has an unsupported parameter or return type.</exception>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.AlreadyRegistered"/>
    /// (also for a name the sandbox's <see cref="SandboxOptions.HostFunctions"/> has).</exception>
    public void Register(string name, Delegate fn)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fn);
        ThrowIfDisposed();
        // Finalized when the sandbox is deleted.
        HostFunction.HandOver(name, fn, _hostErrors, (kinds, count, returnKind, state) =>
            NativeMethods.hl_register(_handle, name, kinds, count, returnKind, HostFunction.CallbackPointer, state,
                                      HostFunction.FinalizerPointer));
    }

    /// <summary>Registers a host function with no parameters and no result.</summary>
    public void Register(string name, Action fn) => Register(name, (Delegate)fn);

    /// <summary>Registers a host function with one parameter and no result.</summary>
    public void Register<T1>(string name, Action<T1> fn) => Register(name, (Delegate)fn);

    /// <summary>Registers a host function with two parameters and no result.</summary>
    public void Register<T1, T2>(string name, Action<T1, T2> fn) => Register(name, (Delegate)fn);

    /// <summary>Registers a host function with no parameters.</summary>
    public void Register<TResult>(string name, Func<TResult> fn) => Register(name, (Delegate)fn);

    /// <summary>Registers a host function with one parameter.</summary>
    public void Register<T1, TResult>(string name, Func<T1, TResult> fn) => Register(name, (Delegate)fn);

    /// <summary>Registers a host function with two parameters.</summary>
    public void Register<T1, T2, TResult>(string name, Func<T1, T2, TResult> fn) => Register(name, (Delegate)fn);

    /// <summary>Registers a host function with three parameters.</summary>
    public void Register<T1, T2, T3, TResult>(string name, Func<T1, T2, T3, TResult> fn) =>
        Register(name, (Delegate)fn);

    /// <summary>
    /// Calls a guest function by name and waits for it. Host functions the
    /// guest calls run on this thread.
    /// </summary>
    /// <returns>The result, or null for a void function.</returns>
    /// <exception cref="ArgumentException">An argument is null or of an unsupported type.</exception>
    /// <exception cref="HyperlightException">The call failed (see <see cref="HyperlightException.Code"/>).</exception>
    public object? Call(string name, params object[] args) =>
        CallCore(name, args, CancellationToken.None, timeoutNs: null);

    /// <summary>
    /// Calls a guest function with its own time limit instead of
    /// <see cref="SandboxOptions.CallTimeout"/> (hl_call_with_timeout). Host
    /// functions the guest calls count towards the limit. A call that exceeds
    /// it fails with <see cref="ErrorCode.Timeout"/> and poisons the sandbox.
    /// </summary>
    /// <param name="name">The guest function.</param>
    /// <param name="timeout">Positive, or <see cref="Timeout.InfiniteTimeSpan"/> for no limit
    /// (not even the options' default); <see cref="TimeSpan.MaxValue"/> also means no limit.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is zero or negative
    /// (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.Timeout"/>.</exception>
    public object? Call(string name, TimeSpan timeout, params object[] args) =>
        CallCore(name, args, CancellationToken.None, HyperlightLibrary.ToTimeoutNs(timeout, nameof(timeout)));

    /// <summary>
    /// Calls a guest function; if <paramref name="cancellationToken"/> fires
    /// while the call runs, the call is killed and fails with
    /// <see cref="ErrorCode.Cancelled"/> (the sandbox is then poisoned). A token
    /// that is already cancelled throws <see cref="OperationCanceledException"/>
    /// without entering the guest.
    /// </summary>
    public object? Call(string name, CancellationToken cancellationToken, params object[] args) =>
        CallCore(name, args, cancellationToken, timeoutNs: null);

    /// <summary>Calls a guest function and converts its result to <typeparamref name="T"/>.</summary>
    public T Call<T>(string name, params object[] args) =>
        Convert<T>(name, CallCore(name, args, CancellationToken.None, timeoutNs: null));

    /// <summary>
    /// Calls a guest function with its own time limit (see
    /// <see cref="Call(string, TimeSpan, object[])"/>) and converts its result to <typeparamref name="T"/>.
    /// </summary>
    public T Call<T>(string name, TimeSpan timeout, params object[] args) =>
        Convert<T>(name, CallCore(name, args, CancellationToken.None,
                                  HyperlightLibrary.ToTimeoutNs(timeout, nameof(timeout))));

    /// <summary>Calls a guest function with cancellation and converts its result to <typeparamref name="T"/>.</summary>
    public T Call<T>(string name, CancellationToken cancellationToken, params object[] args) =>
        Convert<T>(name, CallCore(name, args, cancellationToken, timeoutNs: null));

    /// <summary>
    /// Calls a guest function with its own settings (time limit, CPU budget)
    /// and reports what it cost (hl_call_ex). Measuring the guest's CPU time
    /// costs a few reads of the thread's CPU clock per call and per host call;
    /// the other overloads make none.
    /// </summary>
    /// <param name="name">The guest function.</param>
    /// <param name="settings">This call's settings; null (or null properties) for the sandbox's
    /// (<see cref="SandboxOptions.CallTimeout"/>, <see cref="SandboxOptions.CallCpuBudget"/>).</param>
    /// <param name="stats">What the call cost. A failed call throws, and its
    /// <see cref="HyperlightException.Stats"/> has them.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>The result, or null for a void function.</returns>
    /// <exception cref="HyperlightException">The call failed, for example with
    /// <see cref="ErrorCode.Timeout"/> or <see cref="ErrorCode.CpuBudgetExceeded"/>.</exception>
    public object? Call(string name, CallOptions? settings, out CallStats stats, params object[] args) =>
        CallWithStats(name, args, CancellationToken.None, settings, restoreTo: null, out stats);

    /// <summary>
    /// <see cref="Call(string, CallOptions?, out CallStats, object[])"/> with
    /// cancellation (see <see cref="Call(string, CancellationToken, object[])"/>).
    /// </summary>
    public object? Call(string name, CallOptions? settings, CancellationToken cancellationToken,
                        out CallStats stats, params object[] args) =>
        CallWithStats(name, args, cancellationToken, settings, restoreTo: null, out stats);

    /// <summary>
    /// <see cref="Call(string, CallOptions?, out CallStats, object[])"/>,
    /// converting the result to <typeparamref name="T"/>.
    /// </summary>
    public T Call<T>(string name, CallOptions? settings, out CallStats stats, params object[] args) =>
        Convert<T>(name, CallWithStats(name, args, CancellationToken.None, settings, restoreTo: null, out stats));

    /// <summary>
    /// <see cref="Call(string, CallOptions?, CancellationToken, out CallStats, object[])"/>,
    /// converting the result to <typeparamref name="T"/>.
    /// </summary>
    public T Call<T>(string name, CallOptions? settings, CancellationToken cancellationToken, out CallStats stats,
                     params object[] args) =>
        Convert<T>(name, CallWithStats(name, args, cancellationToken, settings, restoreTo: null, out stats));

    /// <summary>
    /// hyperlight's id of the sandbox (hl_sandbox_id), unique in the process
    /// while the sandbox lives; the tag hyperlight.sandbox.id of its call
    /// activities (<see cref="HyperlightTelemetry"/>). Any thread.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The sandbox was disposed.</exception>
    public ulong Id
    {
        get
        {
            ThrowIfDisposed();
            return CachedId;
        }
    }

    // The id never changes: read once (a racing read gets the same value).
    internal ulong CachedId
    {
        get
        {
            ulong id = Volatile.Read(ref _id);
            if (id == 0)
            {
                id = NativeMethods.hl_sandbox_id(_handle);
                Volatile.Write(ref _id, id);
            }
            return id;
        }
    }

    /// <summary>
    /// Captures the sandbox's state (guest memory, vCPU, mapped regions, guest
    /// counter, call state) in an immutable <see cref="Hyperlight.Snapshot"/>.
    /// It becomes this sandbox's restore baseline: restoring it here later
    /// copies only the pages written since. Dispose the snapshot when done.
    /// </summary>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.Poisoned"/> (restore an earlier
    /// snapshot first), <see cref="ErrorCode.Busy"/> (a call is running), <see cref="ErrorCode.OutOfMemory"/>.</exception>
    public Snapshot Snapshot()
    {
        ThrowIfDisposed();
        EnterExclusive("hl_sandbox_snapshot");
        try
        {
            IntPtr err = NativeMethods.hl_sandbox_snapshot(_handle, out SnapshotSafeHandle snapshot);
            if (err != IntPtr.Zero)
            {
                snapshot.Dispose();
                HyperlightException.ThrowIfError(err);
            }
            return new Snapshot(snapshot);
        }
        finally
        {
            ExitExclusive();
        }
    }

    /// <summary>
    /// Writes an ELF core file of the guest as it is now (hl_sandbox_crashdump):
    /// its registers and its memory at guest addresses, for <c>gdb GUEST.elf PATH</c>
    /// (docs/debugging.md). Works between calls, also on a poisoned sandbox.
    /// <see cref="SandboxOptions.CrashdumpDirectory"/> makes guest faults write
    /// one by themselves.
    /// </summary>
    /// <param name="path">Where to write the core; it must not exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character.</exception>
    /// <exception cref="ObjectDisposedException">The sandbox was disposed.</exception>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.Io"/> (the path exists or cannot
    /// be written; the message names it and why), <see cref="ErrorCode.Busy"/> (a call is running).</exception>
    public void Crashdump(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains('\0'))
        {
            throw new ArgumentException("the path contains a NUL character", nameof(path));
        }
        ThrowIfDisposed();
        EnterExclusive("hl_sandbox_crashdump");
        try
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_sandbox_crashdump(_handle, path));
        }
        finally
        {
            ExitExclusive();
        }
    }

    /// <summary>
    /// Puts the sandbox back exactly into <paramref name="snapshot"/>'s state
    /// (guest memory, vCPU registers, mapped regions, guest counter, call
    /// state) and clears poisoning: a cancelled, timed-out or faulted sandbox
    /// is usable again. The cost grows with the pages written since the
    /// snapshot was taken or last restored here, not with the sandbox's size.
    /// </summary>
    /// <param name="snapshot">A snapshot of this sandbox or of one with the same memory layout
    /// (and the same host functions registered).</param>
    /// <exception cref="ObjectDisposedException">The sandbox or the snapshot was disposed.</exception>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.SnapshotMismatch"/> (another memory
    /// layout, or a host function the snapshot's guest may call is missing here or has another
    /// signature; nothing changed), <see cref="ErrorCode.Busy"/> (a call is running),
    /// <see cref="ErrorCode.Hypervisor"/> (the sandbox stays poisoned).</exception>
    public void Restore(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfDisposed();
        SnapshotSafeHandle snap = snapshot.GetHandle();
        EnterExclusive("hl_sandbox_restore");
        try
        {
            HyperlightException.ThrowIfError(NativeMethods.hl_sandbox_restore(_handle, snap));
        }
        finally
        {
            ExitExclusive();
        }
    }

    /// <summary>
    /// Calls a guest function and then restores <paramref name="snapshot"/>,
    /// whatever the call's outcome: every request runs on a clean sandbox. A
    /// poisoned sandbox is restored before the call too. The call's error (if
    /// any) is thrown after the restore; if the restore itself fails, its
    /// error is thrown instead and the sandbox stays poisoned. The time limit
    /// is <see cref="SandboxOptions.CallTimeout"/>. A snapshot that does not
    /// fit is refused before the call runs
    /// (<see cref="ErrorCode.SnapshotMismatch"/>).
    /// </summary>
    /// <returns>The result, or null for a void function.</returns>
    /// <exception cref="ObjectDisposedException">The sandbox or the snapshot was disposed.</exception>
    /// <exception cref="ArgumentException">An argument is null or of an unsupported type.</exception>
    /// <exception cref="HyperlightException">The call failed (the sandbox was restored all the same),
    /// or <see cref="ErrorCode.SnapshotMismatch"/> (see <see cref="Restore"/>).</exception>
    public object? CallAndRestore(Snapshot snapshot, string name, params object[] args) =>
        CallCore(name, args, CancellationToken.None, timeoutNs: null, RequireSnapshot(snapshot));

    /// <summary>
    /// <see cref="CallAndRestore(Snapshot, string, object[])"/> with
    /// cancellation: if <paramref name="cancellationToken"/> fires while the
    /// call runs, the call is killed and fails with
    /// <see cref="ErrorCode.Cancelled"/>, after the sandbox was restored.
    /// </summary>
    public object? CallAndRestore(Snapshot snapshot, string name, CancellationToken cancellationToken,
                                  params object[] args) =>
        CallCore(name, args, cancellationToken, timeoutNs: null, RequireSnapshot(snapshot));

    /// <summary>
    /// <see cref="CallAndRestore(Snapshot, string, object[])"/>, converting
    /// the result to <typeparamref name="T"/>.
    /// </summary>
    public T CallAndRestore<T>(Snapshot snapshot, string name, params object[] args) =>
        Convert<T>(name, CallCore(name, args, CancellationToken.None, timeoutNs: null, RequireSnapshot(snapshot)));

    /// <summary>
    /// <see cref="CallAndRestore(Snapshot, string, CancellationToken, object[])"/>,
    /// converting the result to <typeparamref name="T"/>.
    /// </summary>
    public T CallAndRestore<T>(Snapshot snapshot, string name, CancellationToken cancellationToken,
                               params object[] args) =>
        Convert<T>(name, CallCore(name, args, cancellationToken, timeoutNs: null, RequireSnapshot(snapshot)));

    /// <summary>
    /// <see cref="CallAndRestore(Snapshot, string, object[])"/> with its own
    /// settings (time limit, CPU budget), reporting what the request cost,
    /// restore included (<see cref="CallStats.PagesRestored"/>,
    /// <see cref="CallStats.Restore"/>; hl_call_and_restore_ex). See
    /// <see cref="Call(string, CallOptions?, out CallStats, object[])"/>.
    /// </summary>
    public object? CallAndRestore(Snapshot snapshot, string name, CallOptions? settings, out CallStats stats,
                                  params object[] args) =>
        CallWithStats(name, args, CancellationToken.None, settings, RequireSnapshot(snapshot), out stats);

    /// <summary>
    /// <see cref="CallAndRestore(Snapshot, string, CallOptions?, out CallStats, object[])"/>
    /// with cancellation.
    /// </summary>
    public object? CallAndRestore(Snapshot snapshot, string name, CallOptions? settings,
                                  CancellationToken cancellationToken, out CallStats stats, params object[] args) =>
        CallWithStats(name, args, cancellationToken, settings, RequireSnapshot(snapshot), out stats);

    /// <summary>
    /// <see cref="CallAndRestore(Snapshot, string, CallOptions?, out CallStats, object[])"/>,
    /// converting the result to <typeparamref name="T"/>.
    /// </summary>
    public T CallAndRestore<T>(Snapshot snapshot, string name, CallOptions? settings, out CallStats stats,
                               params object[] args) =>
        Convert<T>(name, CallWithStats(name, args, CancellationToken.None, settings, RequireSnapshot(snapshot),
                                       out stats));

    /// <summary>
    /// <see cref="CallAndRestore(Snapshot, string, CallOptions?, CancellationToken, out CallStats, object[])"/>,
    /// converting the result to <typeparamref name="T"/>.
    /// </summary>
    public T CallAndRestore<T>(Snapshot snapshot, string name, CallOptions? settings,
                               CancellationToken cancellationToken, out CallStats stats, params object[] args) =>
        Convert<T>(name, CallWithStats(name, args, cancellationToken, settings, RequireSnapshot(snapshot),
                                       out stats));

    /// <summary>
    /// Whether the sandbox accepts calls: <see cref="SandboxStatus.Poisoned"/>
    /// after a call was cancelled or timed out, or the guest faulted (then
    /// every call fails with <see cref="ErrorCode.Poisoned"/>), and once the
    /// sandbox is disposed.
    /// </summary>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.Busy"/> if a call is running
    /// (like <see cref="Call(string, object[])"/>, read it from the thread using the sandbox).</exception>
    public SandboxStatus Status
    {
        get
        {
            if (_handle.IsClosed)
            {
                return SandboxStatus.Poisoned;
            }
            // hl_sandbox_status must not run concurrently with a call: hold
            // the call slot meanwhile (a concurrent Call fails with Busy).
            if (Interlocked.CompareExchange(ref _inCall, 1, 0) != 0)
            {
                throw new HyperlightException(ErrorCode.Busy,
                    "hl_sandbox_status: the sandbox is in a call");
            }
            try
            {
                return (SandboxStatus)NativeMethods.hl_sandbox_status(_handle);
            }
            catch (ObjectDisposedException)
            {
                return SandboxStatus.Poisoned; // disposed meanwhile
            }
            finally
            {
                Volatile.Write(ref _inCall, 0);
            }
        }
    }

    /// <summary>
    /// Gets a new handle that can stop this sandbox's running call from any
    /// thread. It stays valid after the sandbox is disposed; dispose it too.
    /// </summary>
    public InterruptHandle GetInterruptHandle()
    {
        ThrowIfDisposed();
        IntPtr err = NativeMethods.hl_sandbox_interrupt_handle(_handle, out InterruptHandleSafeHandle handle);
        if (err != IntPtr.Zero)
        {
            handle.Dispose();
            HyperlightException.ThrowIfError(err);
        }
        return new InterruptHandle(handle);
    }

    /// <summary>
    /// Bytes of guest-physical memory reserved for the sandbox (page tables,
    /// system pages, image, buffers, heap, stacks, guard pages). Reserved, not
    /// committed: untouched pages cost no RAM. Guest addresses at or above it
    /// (and below 512 GiB) are free for <see cref="MapRegion"/> and
    /// <see cref="MapFile"/>. Any thread.
    /// </summary>
    public ulong MemorySize
    {
        get
        {
            ThrowIfDisposed();
            return NativeMethods.hl_sandbox_memory_size(_handle);
        }
    }

    /// <summary>
    /// Makes <paramref name="memory"/> visible to the guest at
    /// <paramref name="guestAddress"/> from the next call on: read-only, and
    /// executable with <see cref="MapFlags.Execute"/>. Guest writes fail with
    /// <see cref="ErrorCode.MemoryAccessViolation"/>; changes the host makes
    /// through <see cref="SharedMemory.Span"/> are seen by the guest. The
    /// memory stays alive (and <see cref="SharedMemory.Dispose"/> refuses)
    /// while hyperlight may use it: until <see cref="UnmapRegion"/> or
    /// <see cref="Dispose"/>, and until every <see cref="Snapshot"/> taken
    /// meanwhile is disposed (a restore maps it again). A failed map keeps
    /// nothing.
    /// </summary>
    /// <param name="memory">The memory; it may be mapped into several sandboxes.</param>
    /// <param name="guestAddress">Page-aligned, at or above <see cref="MemorySize"/>, below 512 GiB.</param>
    /// <param name="flags"><see cref="MapFlags.Read"/>, optionally | <see cref="MapFlags.Execute"/>;
    /// <see cref="MapFlags.Write"/> is refused.</param>
    /// <exception cref="ObjectDisposedException">The sandbox or the memory was disposed.</exception>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.NotAligned"/>,
    /// <see cref="ErrorCode.RegionOverlap"/>, <see cref="ErrorCode.InvalidArgument"/> (bad flags or
    /// address), <see cref="ErrorCode.Busy"/> (a call is running).</exception>
    public void MapRegion(SharedMemory memory, ulong guestAddress, MapFlags flags = MapFlags.Read)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ThrowIfDisposed();
        // Hold the sandbox first (a concurrent Dispose then deletes it only
        // afterwards): once the memory is lent, nothing may stop the call from
        // reaching hyperlight, whose region finalizer alone gives it back
        // (before returning, if the map fails).
        bool added = false;
        IntPtr err;
        _handle.DangerousAddRef(ref added);
        try
        {
            IntPtr userData = memory.Lend(out void* host);
            err = NativeMethods.hl_sandbox_map_region(_handle.DangerousGetHandle(), host, (ulong)memory.Length,
                                                      guestAddress, (uint)flags, userData,
                                                      SharedMemory.RegionFinalizerPointer);
        }
        finally
        {
            _handle.DangerousRelease();
        }
        HyperlightException.ThrowIfError(err);
    }

    /// <summary>
    /// Removes the region mapped at <paramref name="guestAddress"/> (by
    /// <see cref="MapRegion"/> or <see cref="MapFile"/>); later guest accesses
    /// fail with <see cref="ErrorCode.MemoryAccessViolation"/>. A
    /// <see cref="SharedMemory"/> is released by the sandbox (and free once no
    /// snapshot taken while it was mapped remains).
    /// </summary>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.RegionNotFound"/>,
    /// <see cref="ErrorCode.Busy"/>.</exception>
    public void UnmapRegion(ulong guestAddress)
    {
        ThrowIfDisposed();
        HyperlightException.ThrowIfError(NativeMethods.hl_sandbox_unmap_region(_handle, guestAddress));
    }

    /// <summary>
    /// Maps a private copy-on-write view of a file at
    /// <paramref name="guestAddress"/>, readable and executable by the guest.
    /// The file is never modified. Remove it with <see cref="UnmapRegion"/>.
    /// </summary>
    /// <param name="path">The file (not empty).</param>
    /// <param name="guestAddress">As for <see cref="MapRegion"/>.</param>
    /// <returns>The mapped size: the file size rounded up to 4 KiB.</returns>
    /// <exception cref="HyperlightException">For example <see cref="ErrorCode.Io"/>,
    /// <see cref="ErrorCode.InvalidArgument"/> (empty file), <see cref="ErrorCode.NotAligned"/>,
    /// <see cref="ErrorCode.RegionOverlap"/>.</exception>
    public ulong MapFile(string path, ulong guestAddress)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfDisposed();
        ulong size = 0;
        HyperlightException.ThrowIfError(NativeMethods.hl_sandbox_map_file_cow(_handle, path, guestAddress, &size));
        return size;
    }

    /// <summary>
    /// Adds one to the guest counter: a value the host owns and the guest can
    /// only read (hlg_counter()). Starts at 0. Any thread, also during a call.
    /// </summary>
    /// <returns>The new value.</returns>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.OutOfRange"/> at
    /// <see cref="ulong.MaxValue"/> (the counter is unchanged).</exception>
    public ulong CounterIncrement()
    {
        ThrowIfDisposed();
        ulong value;
        HyperlightException.ThrowIfError(NativeMethods.hl_sandbox_counter_increment(_handle, &value));
        return value;
    }

    /// <summary>Subtracts one from the guest counter. Any thread, also during a call.</summary>
    /// <returns>The new value.</returns>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.OutOfRange"/> at 0
    /// (the counter is unchanged).</exception>
    public ulong CounterDecrement()
    {
        ThrowIfDisposed();
        ulong value;
        HyperlightException.ThrowIfError(NativeMethods.hl_sandbox_counter_decrement(_handle, &value));
        return value;
    }

    /// <summary>The guest counter's value (the host's own copy). Any thread, also during a call.</summary>
    public ulong CounterValue
    {
        get
        {
            ThrowIfDisposed();
            return NativeMethods.hl_sandbox_counter_value(_handle);
        }
    }

    /// <summary>
    /// Destroys the VM and releases every registered host function, the
    /// <see cref="SharedMemory"/> still mapped into it (unless a snapshot holds
    /// it) and the logger (only after the native sandbox is gone). Safe to call
    /// more than once. If a call is running on another thread, the native sandbox is
    /// deleted when that call returns.
    /// </summary>
    public void Dispose()
    {
        _cancelHandle?.Dispose();
        _handle.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);

    private static SnapshotSafeHandle RequireSnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.GetHandle();
    }

    /// <summary>
    /// Takes the sandbox's call slot: native calls that must not run
    /// concurrently with a call (status, snapshot, restore) hold it too.
    /// </summary>
    private void EnterExclusive(string function)
    {
        if (Interlocked.CompareExchange(ref _inCall, 1, 0) != 0)
        {
            throw new HyperlightException(ErrorCode.Busy,
                $"{function}: the sandbox is in a call (concurrent use, or re-entry from a host function)");
        }
    }

    private void ExitExclusive() => Volatile.Write(ref _inCall, 0);

    private static T Convert<T>(string name, object? result)
    {
        if (result is T value)
        {
            return value;
        }
        if (result == null && default(T) == null)
        {
            return default!;
        }
        string actual = result?.GetType().ToString() ?? "void";
        throw new InvalidCastException($"guest function '{name}' returned {actual}, not {typeof(T)}");
    }

    private object? CallWithStats(string name, object[]? args, CancellationToken cancellationToken,
                                  CallOptions? settings, SnapshotSafeHandle? restoreTo, out CallStats stats)
    {
        HlCallStats native = default;
        object? result = CallCore(name, args, cancellationToken, timeoutNs: null, restoreTo, settings, &native);
        stats = CallStats.FromNative(in native);
        return result;
    }

    private object? CallCore(string name, object[]? args, CancellationToken cancellationToken, ulong? timeoutNs,
                             SnapshotSafeHandle? restoreTo = null) =>
        CallCore(name, args, cancellationToken, timeoutNs, restoreTo, settings: null, statsOut: null);

    // timeoutNs: null uses the config's default (hl_call), else hl_call_with_timeout (0 = none).
    // restoreTo: hl_call_and_restore onto that snapshot (timeoutNs must be null).
    // settings, statsOut: hl_call_ex / hl_call_and_restore_ex with those options (null: the
    // config's), their stats to statsOut (and to a failure's exception); timeoutNs must be null.
    // A call activity (a listener wants one) takes the _ex path too, for its stats.
    private object? CallCore(string name, object[]? args, CancellationToken cancellationToken, ulong? timeoutNs,
                             SnapshotSafeHandle? restoreTo, CallOptions? settings, HlCallStats* statsOut)
    {
        ArgumentNullException.ThrowIfNull(name);
        args ??= Array.Empty<object>();
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        if (Interlocked.CompareExchange(ref _inCall, 1, 0) != 0)
        {
            throw new HyperlightException(ErrorCode.Busy,
                $"hl_call('{name}'): the sandbox is already in a call (concurrent use, or re-entry from a host function)");
        }
        IntPtr payload = IntPtr.Zero;
        Activity? activity = null;
        try
        {
            var vals = new HlVal[args.Length];
            ValueMarshaller.ToNative(args, vals, out payload);
            _hostErrors.LastException = null;
            HostErrorSlot.ThisThread.LastException = null;

            // Telemetry costs nothing unless something listens.
            if (HyperlightTelemetry.ActivitySource.HasListeners())
            {
                activity = HyperlightTelemetry.StartCall(name, this, _engineName);
            }
            bool timed = HyperlightTelemetry.CallDuration.Enabled;
            long started = timed ? Stopwatch.GetTimestamp() : 0;

            CallKiller? killer = null;
            CancellationTokenRegistration registration = default;
            if (cancellationToken.CanBeCanceled)
            {
                _cancelHandle ??= GetInterruptHandle();
                killer = new CallKiller(_cancelHandle);
                registration = cancellationToken.UnsafeRegister(static k => ((CallKiller)k!).Start(), killer);
            }

            HlCallStats stats = default;
            bool extended = settings != null || statsOut != null || activity is { IsAllDataRequested: true };
            HlCallOptions options = settings?.ToNative() ?? default;
            if (extended && timeoutNs is ulong timeout)
            {
                options.Flags |= (uint)CallOptionFlags.Timeout;
                options.TimeoutNs = timeout;
            }
            HlVal result = default;
            IntPtr err;
            try
            {
                fixed (HlVal* pArgs = vals)
                {
                    if (extended)
                    {
                        HlCallOptions* pOptions = options.Flags != 0 ? &options : null;
                        err = restoreTo != null
                            ? NativeMethods.hl_call_and_restore_ex(_handle, restoreTo, name, pArgs,
                                                                   (nuint)vals.Length, &result, pOptions, &stats)
                            : NativeMethods.hl_call_ex(_handle, name, pArgs, (nuint)vals.Length, &result,
                                                       pOptions, &stats);
                    }
                    else if (restoreTo != null)
                    {
                        err = NativeMethods.hl_call_and_restore(_handle, restoreTo, name, pArgs,
                                                                (nuint)vals.Length, &result);
                    }
                    else
                    {
                        err = timeoutNs is ulong ns
                            ? NativeMethods.hl_call_with_timeout(_handle, name, pArgs, (nuint)vals.Length,
                                                                 &result, ns)
                            : NativeMethods.hl_call(_handle, name, pArgs, (nuint)vals.Length, &result);
                    }
                }
            }
            finally
            {
                killer?.Stop(); // after this no kill can reach a later call
                registration.Dispose();
                _printSink?.EndOfOutput();
            }

            HyperlightException? failure = HyperlightException.FromNative(
                err, _hostErrors.LastException ?? HostErrorSlot.ThisThread.LastException);
            if (statsOut != null)
            {
                *statsOut = stats;
                if (failure != null)
                {
                    failure.Stats = CallStats.FromNative(in stats);
                }
            }
            if (timed)
            {
                HyperlightTelemetry.RecordCall(started, _engineName, name, failure);
            }
            if (activity != null)
            {
                HyperlightTelemetry.EndCall(activity, failure, in stats, restored: restoreTo != null);
            }
            if (failure != null)
            {
                throw failure;
            }
            try
            {
                return ValueMarshaller.FromNative(in result);
            }
            finally
            {
                NativeMethods.hl_val_release(&result);
            }
        }
        finally
        {
            activity?.Dispose(); // stops it
            _hostErrors.LastException = null;
            HostErrorSlot.ThisThread.LastException = null;
            if (payload != IntPtr.Zero)
            {
                NativeMemory.Free((void*)payload);
            }
            Volatile.Write(ref _inCall, 0);
        }
    }

    /// <summary>
    /// Kills one call when its token fires. hl_kill does nothing if the call
    /// has not entered the guest yet, so after the token fires this keeps
    /// trying (on a pool thread, never on the thread that cancels) until a kill
    /// lands or the call has returned. Stop() and each kill take the same lock,
    /// so no kill is issued once Stop() has returned.
    /// </summary>
    private sealed class CallKiller
    {
        private readonly InterruptHandle _handle;
        private readonly object _gate = new();
        private bool _done;

        internal CallKiller(InterruptHandle handle)
        {
            _handle = handle;
        }

        internal void Start() =>
            ThreadPool.UnsafeQueueUserWorkItem(static k => k.Run(), this, preferLocal: false);

        internal void Stop()
        {
            lock (_gate)
            {
                _done = true;
            }
        }

        private void Run()
        {
            try
            {
                while (true)
                {
                    lock (_gate)
                    {
                        if (_done || _handle.Kill() != KillResult.NotRunning)
                        {
                            return; // returned already, interrupted, or sandbox gone
                        }
                    }
                    Thread.Sleep(1);
                }
            }
            catch (ObjectDisposedException)
            {
                // The sandbox was disposed meanwhile: nothing left to kill.
            }
        }
    }
}
