using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Hyperlight;

/// <summary>
/// The raw C ABI of include/hyperlight.h. Every parameter and return type is
/// the exact fixed-width type of the header (no bool, no enum): pointers to
/// opaque types are <see cref="IntPtr"/> or a <see cref="SafeHandle"/>,
/// hl_val_kind_t is <see cref="byte"/>, hl_error_code_t, hl_kill_result_t and
/// hl_sandbox_status_t are <see cref="uint"/>, size_t is <see cref="nuint"/>.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string LibraryName = "hyperlight";

    /// <summary>The environment variable naming the directory of libhyperlight.so.</summary>
    internal const string LibDirVariable = "HYPERLIGHT_LIB_DIR";

    // Runs once, before the first P/Invoke through this class.
    static NativeMethods()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
        {
            return IntPtr.Zero;
        }
        string? dir = Environment.GetEnvironmentVariable(LibDirVariable);
        if (string.IsNullOrEmpty(dir))
        {
            return IntPtr.Zero; // default probing
        }
        // Explicitly requested: load exactly that file or fail loudly, rather
        // than silently picking up another copy of the library.
        return NativeLibrary.Load(Path.Combine(dir, "libhyperlight.so"));
    }

    // Strings returned by the library (hl_version_string, hl_error_message)
    // are not ours to free, so they come back as raw pointers.

    [LibraryImport(LibraryName, EntryPoint = "hl_version")]
    internal static partial uint hl_version();

    [LibraryImport(LibraryName, EntryPoint = "hl_version_string")]
    internal static partial byte* hl_version_string();

    [LibraryImport(LibraryName, EntryPoint = "hl_error_code")]
    internal static partial uint hl_error_code(IntPtr error);

    [LibraryImport(LibraryName, EntryPoint = "hl_error_message")]
    internal static partial byte* hl_error_message(IntPtr error);

    [LibraryImport(LibraryName, EntryPoint = "hl_error_new")]
    internal static partial IntPtr hl_error_new(byte* message);

    [LibraryImport(LibraryName, EntryPoint = "hl_error_delete")]
    internal static partial void hl_error_delete(IntPtr error);

    [LibraryImport(LibraryName, EntryPoint = "hl_val_set_string")]
    internal static partial IntPtr hl_val_set_string(HlVal* val, byte* ptr, nuint len);

    [LibraryImport(LibraryName, EntryPoint = "hl_val_set_bytes")]
    internal static partial IntPtr hl_val_set_bytes(HlVal* val, byte* ptr, nuint len);

    [LibraryImport(LibraryName, EntryPoint = "hl_val_release")]
    internal static partial void hl_val_release(HlVal* val);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_new")]
    internal static partial IntPtr hl_config_new();

    [LibraryImport(LibraryName, EntryPoint = "hl_config_delete")]
    internal static partial void hl_config_delete(IntPtr config);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_heap_size")]
    internal static partial IntPtr hl_config_set_heap_size(IntPtr config, ulong bytes);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_stack_size")]
    internal static partial IntPtr hl_config_set_stack_size(IntPtr config, ulong bytes);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_input_buffer_size")]
    internal static partial IntPtr hl_config_set_input_buffer_size(IntPtr config, ulong bytes);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_output_buffer_size")]
    internal static partial IntPtr hl_config_set_output_buffer_size(IntPtr config, ulong bytes);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_log_callback")]
    internal static partial IntPtr hl_config_set_log_callback(
        IntPtr config,
        delegate* unmanaged[Cdecl]<IntPtr, uint, byte*, nuint, uint, byte*, nuint, void> callback,
        IntPtr userData);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_max_log_level")]
    internal static partial IntPtr hl_config_set_max_log_level(IntPtr config, uint level);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_call_timeout_ns")]
    internal static partial IntPtr hl_config_set_call_timeout_ns(IntPtr config, ulong timeoutNs);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_init_timeout_ns")]
    internal static partial IntPtr hl_config_set_init_timeout_ns(IntPtr config, ulong timeoutNs);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_init_data")]
    internal static partial IntPtr hl_config_set_init_data(IntPtr config, byte* data, nuint len, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_call_cpu_budget_ns")]
    internal static partial IntPtr hl_config_set_call_cpu_budget_ns(IntPtr config, ulong budgetNs);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_print_callback")]
    internal static partial IntPtr hl_config_set_print_callback(
        IntPtr config, delegate* unmanaged[Cdecl]<IntPtr, byte*, nuint, void> callback, IntPtr userData);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_print_limit")]
    internal static partial IntPtr hl_config_set_print_limit(IntPtr config, ulong bytes);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_gdb_port")]
    internal static partial IntPtr hl_config_set_gdb_port(IntPtr config, ushort port);

    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_crashdump_dir", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_config_set_crashdump_dir(IntPtr config, string? directory);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_new", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_sandbox_new(IntPtr config, string guestPath, out SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_new_from_memory")]
    internal static partial IntPtr hl_sandbox_new_from_memory(IntPtr config, byte* guestElf, nuint guestElfLen,
                                                              out SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_delete")]
    internal static partial void hl_sandbox_delete(IntPtr sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_memory_size")]
    internal static partial ulong hl_sandbox_memory_size(SandboxSafeHandle sandbox);

    // map takes the raw pointer: the binding holds a reference on the
    // SafeHandle itself around it, so that once it has lent the memory (the
    // finalizer's user_data) the call cannot fail to reach the library,
    // which alone releases it (see Sandbox.MapRegion).
    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_map_region")]
    internal static partial IntPtr hl_sandbox_map_region(IntPtr sandbox, void* hostAddress, ulong size,
                                                         ulong guestAddress, uint flags, IntPtr userData,
                                                         delegate* unmanaged[Cdecl]<IntPtr, void> finalizer);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_unmap_region")]
    internal static partial IntPtr hl_sandbox_unmap_region(SandboxSafeHandle sandbox, ulong guestAddress);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_map_file_cow", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_sandbox_map_file_cow(SandboxSafeHandle sandbox, string path,
                                                           ulong guestAddress, ulong* size);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_counter_increment")]
    internal static partial IntPtr hl_sandbox_counter_increment(SandboxSafeHandle sandbox, ulong* value);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_counter_decrement")]
    internal static partial IntPtr hl_sandbox_counter_decrement(SandboxSafeHandle sandbox, ulong* value);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_counter_value")]
    internal static partial ulong hl_sandbox_counter_value(SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_register", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_register(SandboxSafeHandle sandbox, string name, byte* paramKinds, nuint nparams,
                                               byte returnKind,
                                               delegate* unmanaged[Cdecl]<IntPtr, HlVal*, nuint, HlVal*, IntPtr> callback,
                                               IntPtr userData,
                                               delegate* unmanaged[Cdecl]<IntPtr, void> finalizer);

    [LibraryImport(LibraryName, EntryPoint = "hl_host_functions_new")]
    internal static partial IntPtr hl_host_functions_new(out HostFunctionsSafeHandle functions);

    [LibraryImport(LibraryName, EntryPoint = "hl_host_functions_add", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_host_functions_add(
        HostFunctionsSafeHandle functions, string name, byte* paramKinds, nuint nparams, byte returnKind,
        delegate* unmanaged[Cdecl]<IntPtr, HlVal*, nuint, HlVal*, IntPtr> callback, IntPtr userData,
        delegate* unmanaged[Cdecl]<IntPtr, void> finalizer);

    [LibraryImport(LibraryName, EntryPoint = "hl_host_functions_delete")]
    internal static partial void hl_host_functions_delete(IntPtr functions);

    // As hl_config_set_engine: the config takes a native reference of its own.
    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_host_functions")]
    internal static partial IntPtr hl_config_set_host_functions(IntPtr config, HostFunctionsSafeHandle functions);

    [LibraryImport(LibraryName, EntryPoint = "hl_call", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call(SandboxSafeHandle sandbox, string function, HlVal* args, nuint nargs,
                                           HlVal* result);

    [LibraryImport(LibraryName, EntryPoint = "hl_call_with_timeout", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call_with_timeout(SandboxSafeHandle sandbox, string function, HlVal* args,
                                                        nuint nargs, HlVal* result, ulong timeoutNs);

    [LibraryImport(LibraryName, EntryPoint = "hl_call_ex", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call_ex(SandboxSafeHandle sandbox, string function, HlVal* args, nuint nargs,
                                              HlVal* result, HlCallOptions* options, HlCallStats* stats);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_id")]
    internal static partial ulong hl_sandbox_id(SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_status")]
    internal static partial uint hl_sandbox_status(SandboxSafeHandle sandbox);

    // The guest's function table; name and paramKinds point into the sandbox.

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_guest_function_count")]
    internal static partial IntPtr hl_sandbox_guest_function_count(SandboxSafeHandle sandbox, out nuint count,
                                                                   out uint tableFlags);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_guest_function")]
    internal static partial IntPtr hl_sandbox_guest_function(SandboxSafeHandle sandbox, nuint index, out byte* name,
                                                             out nuint nameLen, out byte resultKind,
                                                             out byte* paramKinds, out nuint nparams);

    // Snapshots.

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_snapshot")]
    internal static partial IntPtr hl_sandbox_snapshot(SandboxSafeHandle sandbox, out SnapshotSafeHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_crashdump", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_sandbox_crashdump(SandboxSafeHandle sandbox, string path);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_restore")]
    internal static partial IntPtr hl_sandbox_restore(SandboxSafeHandle sandbox, SnapshotSafeHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_call_and_restore", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call_and_restore(SandboxSafeHandle sandbox, SnapshotSafeHandle snapshot,
                                                       string function, HlVal* args, nuint nargs, HlVal* result);

    [LibraryImport(LibraryName, EntryPoint = "hl_call_and_restore_ex", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call_and_restore_ex(SandboxSafeHandle sandbox, SnapshotSafeHandle snapshot,
                                                          string function, HlVal* args, nuint nargs, HlVal* result,
                                                          HlCallOptions* options, HlCallStats* stats);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_new_from_snapshot")]
    internal static partial IntPtr hl_sandbox_new_from_snapshot(SnapshotSafeHandle snapshot, IntPtr config,
                                                                out SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_delete")]
    internal static partial void hl_snapshot_delete(IntPtr snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_memory_size")]
    internal static partial ulong hl_snapshot_memory_size(SnapshotSafeHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_save", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_snapshot_save(SnapshotSafeHandle snapshot, string path);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_load", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_snapshot_load(string path, out SnapshotSafeHandle snapshot);

    // Engines. hl_engine_interrupt_signal takes the raw pointer: NULL means
    // the default engine, and an Engine reads its own once, at creation.

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_config_new")]
    internal static partial EngineConfigSafeHandle hl_engine_config_new();

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_config_delete")]
    internal static partial void hl_engine_config_delete(IntPtr config);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_config_set_vm_pool_size")]
    internal static partial IntPtr hl_engine_config_set_vm_pool_size(EngineConfigSafeHandle config, uint size);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_config_set_interrupt_signal_offset")]
    internal static partial IntPtr hl_engine_config_set_interrupt_signal_offset(EngineConfigSafeHandle config,
                                                                                uint offset);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_config_set_interrupt_retry_delay_ns")]
    internal static partial IntPtr hl_engine_config_set_interrupt_retry_delay_ns(EngineConfigSafeHandle config,
                                                                                 ulong delayNs);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_new")]
    internal static partial IntPtr hl_engine_new(EngineConfigSafeHandle config, out EngineSafeHandle engine);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_delete")]
    internal static partial void hl_engine_delete(IntPtr engine);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_interrupt_signal")]
    internal static partial int hl_engine_interrupt_signal(IntPtr engine);

    // Metrics of an engine the binding made; the SafeHandle marshaller keeps
    // it alive during the read (and throws ObjectDisposedException once it
    // was disposed).
    [LibraryImport(LibraryName, EntryPoint = "hl_engine_metrics")]
    internal static partial IntPtr hl_engine_metrics(EngineSafeHandle engine, HlMetrics* metrics);

    // NULL: the default engine (made by this call if it does not exist yet).
    [LibraryImport(LibraryName, EntryPoint = "hl_engine_metrics")]
    internal static partial IntPtr hl_engine_metrics_default(IntPtr engine, HlMetrics* metrics);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_metrics_write_prometheus")]
    internal static partial IntPtr hl_engine_metrics_write_prometheus(EngineSafeHandle engine, byte** text,
                                                                      nuint* length);

    [LibraryImport(LibraryName, EntryPoint = "hl_engine_metrics_write_prometheus")]
    internal static partial IntPtr hl_engine_metrics_write_prometheus_default(IntPtr engine, byte** text,
                                                                              nuint* length);

    [LibraryImport(LibraryName, EntryPoint = "hl_histogram_bucket_bound_ns")]
    internal static partial ulong hl_histogram_bucket_bound_ns(uint index);

    [LibraryImport(LibraryName, EntryPoint = "hl_free")]
    internal static partial void hl_free(void* ptr);

    // The SafeHandle marshaller holds a reference on the engine during the
    // call; the config then holds a native reference of its own.
    [LibraryImport(LibraryName, EntryPoint = "hl_config_set_engine")]
    internal static partial IntPtr hl_config_set_engine(IntPtr config, EngineSafeHandle engine);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_interrupt_handle")]
    internal static partial IntPtr hl_sandbox_interrupt_handle(SandboxSafeHandle sandbox,
                                                               out InterruptHandleSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "hl_kill")]
    internal static partial uint hl_kill(InterruptHandleSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "hl_interrupt_handle_delete")]
    internal static partial void hl_interrupt_handle_delete(IntPtr handle);
}

/// <summary>
/// Owns an hl_sandbox_t* and the GCHandles of its log and print callbacks.
/// Releasing it calls hl_sandbox_delete first and only then frees that
/// state, so it outlives the native sandbox whether it goes away through
/// Dispose or through the (critical) finalizer. (Mapped
/// <see cref="SharedMemory"/> needs no bookkeeping here: hyperlight releases
/// each region through its finalizer, see <see cref="SharedMemory.Lend"/>.)
/// </summary>
internal sealed class SandboxSafeHandle : SafeHandle
{
    private GCHandle _logState;
    private GCHandle _printState;

    /// <summary>Used by the P/Invoke marshaller for out parameters.</summary>
    public SandboxSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>
    /// Takes ownership of the GCHandles passed as the log and print callbacks'
    /// user_data (either may be unallocated).
    /// </summary>
    internal void AdoptCallbackStates(GCHandle logState, GCHandle printState)
    {
        _logState = logState;
        _printState = printState;
    }

    protected override bool ReleaseHandle()
    {
        // Runs the finalizers of the host functions and of the mapped regions
        // no snapshot holds.
        NativeMethods.hl_sandbox_delete(handle);
        // No native sandbox refers to them any more.
        if (_logState.IsAllocated)
        {
            _logState.Free();
        }
        if (_printState.IsAllocated)
        {
            _printState.Free();
        }
        return true;
    }
}

/// <summary>
/// Owns an hl_snapshot_t*; releasing it calls hl_snapshot_delete, which lets
/// go of the mapped regions the snapshot records (hyperlight finalizes those
/// no sandbox maps).
/// </summary>
internal sealed class SnapshotSafeHandle : SafeHandle
{
    /// <summary>Used by the P/Invoke marshaller for out parameters.</summary>
    public SnapshotSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.hl_snapshot_delete(handle);
        return true;
    }
}

/// <summary>Owns an hl_interrupt_handle_t*; releasing it calls hl_interrupt_handle_delete.</summary>
internal sealed class InterruptHandleSafeHandle : SafeHandle
{
    /// <summary>Used by the P/Invoke marshaller for out parameters.</summary>
    public InterruptHandleSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.hl_interrupt_handle_delete(handle);
        return true;
    }
}

/// <summary>Owns an hl_engine_config_t*; releasing it calls hl_engine_config_delete.</summary>
internal sealed class EngineConfigSafeHandle : SafeHandle
{
    /// <summary>Used by the P/Invoke marshaller for return values.</summary>
    public EngineConfigSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.hl_engine_config_delete(handle);
        return true;
    }
}

/// <summary>
/// Owns one reference to an hl_engine_t*; releasing it calls hl_engine_delete.
/// Configs and sandboxes made with the engine hold native references of their
/// own, so releasing this one does not affect them; the last reference to go
/// stops the engine and joins its threads.
/// </summary>
internal sealed class EngineSafeHandle : SafeHandle
{
    /// <summary>Used by the P/Invoke marshaller for out parameters.</summary>
    public EngineSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.hl_engine_delete(handle);
        return true;
    }
}

/// <summary>
/// Owns one reference to an hl_host_functions_t*; releasing it calls
/// hl_host_functions_delete. Configs and sandboxes made with the set hold
/// native references of their own; the last to go runs the finalizers, which
/// free the functions' GCHandles.
/// </summary>
internal sealed class HostFunctionsSafeHandle : SafeHandle
{
    /// <summary>Used by the P/Invoke marshaller for out parameters.</summary>
    public HostFunctionsSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.hl_host_functions_delete(handle);
        return true;
    }
}
