using System;
using System.Collections.Generic;
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

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_new", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_sandbox_new(IntPtr config, string guestPath, out SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_new_from_memory")]
    internal static partial IntPtr hl_sandbox_new_from_memory(IntPtr config, byte* guestElf, nuint guestElfLen,
                                                              out SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_delete")]
    internal static partial void hl_sandbox_delete(IntPtr sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_memory_size")]
    internal static partial ulong hl_sandbox_memory_size(SandboxSafeHandle sandbox);

    // map/unmap take the raw pointer: the binding holds a reference on the
    // SafeHandle itself around them (see Sandbox.MapRegion).
    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_map_region")]
    internal static partial IntPtr hl_sandbox_map_region(IntPtr sandbox, void* hostAddress, ulong size,
                                                         ulong guestAddress, uint flags, IntPtr userData,
                                                         delegate* unmanaged[Cdecl]<IntPtr, void> finalizer);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_unmap_region")]
    internal static partial IntPtr hl_sandbox_unmap_region(IntPtr sandbox, ulong guestAddress);

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

    [LibraryImport(LibraryName, EntryPoint = "hl_call", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call(SandboxSafeHandle sandbox, string function, HlVal* args, nuint nargs,
                                           HlVal* result);

    [LibraryImport(LibraryName, EntryPoint = "hl_call_with_timeout", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call_with_timeout(SandboxSafeHandle sandbox, string function, HlVal* args,
                                                        nuint nargs, HlVal* result, ulong timeoutNs);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_status")]
    internal static partial uint hl_sandbox_status(SandboxSafeHandle sandbox);

    // Snapshots. The sandbox and snapshot are raw pointers where the binding
    // holds references on both SafeHandles itself around the call (it updates
    // its region bookkeeping under the same references, see Sandbox.Restore).

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_snapshot")]
    internal static partial IntPtr hl_sandbox_snapshot(IntPtr sandbox, out SnapshotSafeHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_restore")]
    internal static partial IntPtr hl_sandbox_restore(IntPtr sandbox, IntPtr snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_call_and_restore", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_call_and_restore(IntPtr sandbox, IntPtr snapshot, string function, HlVal* args,
                                                       nuint nargs, HlVal* result);

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_new_from_snapshot")]
    internal static partial IntPtr hl_sandbox_new_from_snapshot(IntPtr snapshot, IntPtr config,
                                                                out SandboxSafeHandle sandbox);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_delete")]
    internal static partial void hl_snapshot_delete(IntPtr snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_memory_size")]
    internal static partial ulong hl_snapshot_memory_size(SnapshotSafeHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_save", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_snapshot_save(SnapshotSafeHandle snapshot, string path);

    [LibraryImport(LibraryName, EntryPoint = "hl_snapshot_load", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr hl_snapshot_load(string path, out SnapshotSafeHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "hl_set_vm_pool_size")]
    internal static partial IntPtr hl_set_vm_pool_size(uint size);

    [LibraryImport(LibraryName, EntryPoint = "hl_set_interrupt_signal_offset")]
    internal static partial IntPtr hl_set_interrupt_signal_offset(uint offset);

    [LibraryImport(LibraryName, EntryPoint = "hl_set_interrupt_retry_delay_ns")]
    internal static partial IntPtr hl_set_interrupt_retry_delay_ns(ulong delayNs);

    [LibraryImport(LibraryName, EntryPoint = "hl_interrupt_signal")]
    internal static partial int hl_interrupt_signal();

    [LibraryImport(LibraryName, EntryPoint = "hl_sandbox_interrupt_handle")]
    internal static partial IntPtr hl_sandbox_interrupt_handle(SandboxSafeHandle sandbox,
                                                               out InterruptHandleSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "hl_kill")]
    internal static partial uint hl_kill(InterruptHandleSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "hl_interrupt_handle_delete")]
    internal static partial void hl_interrupt_handle_delete(IntPtr handle);
}

/// <summary>
/// Owns an hl_sandbox_t* and everything the native sandbox borrows from .NET:
/// the GCHandle of its log callback and the <see cref="SharedMemory"/> blocks
/// mapped into it (by <see cref="Sandbox.MapRegion"/>, or brought along by a
/// snapshot it was restored to or created from). Releasing it calls
/// hl_sandbox_delete first and only then lets go of those, so they outlive
/// the native sandbox whether it goes away through Dispose or through the
/// (critical) finalizer.
/// </summary>
internal sealed unsafe class SandboxSafeHandle : SafeHandle
{
    private readonly object _gate = new();
    private Dictionary<ulong, SharedMemory> _regions = new();
    // Memory the native sandbox may still map although the table above no
    // longer says so (after a restore that failed half-way): held until
    // hl_sandbox_delete.
    private readonly List<SharedMemory> _retained = new();
    private GCHandle _logState;

    /// <summary>Used by the P/Invoke marshaller for out parameters.</summary>
    public SandboxSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Serialises map/unmap, snapshot/restore and the region table.</summary>
    internal object Gate => _gate;

    /// <summary>
    /// Set (under <see cref="Gate"/>) while an hl_call_and_restore runs:
    /// that call replaces the mapped regions, so map/unmap must not run until
    /// the table is brought up to date (they fail with Busy meanwhile).
    /// </summary>
    internal bool RegionsInFlux { get; set; }

    /// <summary>Takes ownership of the GCHandle passed as the log callback's user_data.</summary>
    internal void AdoptLogState(GCHandle state)
    {
        _logState = state;
    }

    /// <summary>Records a region mapped at guestAddress (the caller holds <see cref="Gate"/>).</summary>
    internal void AddRegion(ulong guestAddress, SharedMemory memory)
    {
        if (_regions.Remove(guestAddress, out SharedMemory? stale))
        {
            // Only after a failed restore can the table be stale: keep the old
            // block until the sandbox is deleted rather than guess.
            _retained.Add(stale);
        }
        _regions.Add(guestAddress, memory);
    }

    /// <summary>Forgets the region at guestAddress, if it is a SharedMemory (the caller holds <see cref="Gate"/>).</summary>
    internal SharedMemory? RemoveRegion(ulong guestAddress)
    {
        return _regions.Remove(guestAddress, out SharedMemory? memory) ? memory : null;
    }

    /// <summary>
    /// The SharedMemory regions mapped now, each acquired once more for a
    /// snapshot that records them (the caller holds <see cref="Gate"/>).
    /// </summary>
    internal KeyValuePair<ulong, SharedMemory>[] AcquireRegionsForSnapshot()
    {
        var regions = new KeyValuePair<ulong, SharedMemory>[_regions.Count];
        int n = 0;
        try
        {
            foreach (KeyValuePair<ulong, SharedMemory> region in _regions)
            {
                region.Value.AcquireMapping();
                regions[n++] = region;
            }
        }
        catch
        {
            for (int i = 0; i < n; i++)
            {
                regions[i].Value.ReleaseMapping();
            }
            throw;
        }
        return regions;
    }

    /// <summary>
    /// Makes the table the snapshot's regions (each acquired for this
    /// sandbox) after the native sandbox took the snapshot's mapped regions.
    /// With <paramref name="certain"/> false the native side may still map
    /// the old ones (a restore failed half-way): those not also in the
    /// snapshot are then held until the sandbox is deleted. The caller holds
    /// <see cref="Gate"/>, or is the only user of a new handle.
    /// </summary>
    internal void ReplaceRegions(KeyValuePair<ulong, SharedMemory>[] regions, bool certain)
    {
        var table = new Dictionary<ulong, SharedMemory>(regions.Length);
        try
        {
            foreach (KeyValuePair<ulong, SharedMemory> region in regions)
            {
                region.Value.AcquireMapping();
                table.Add(region.Key, region.Value);
            }
        }
        catch
        {
            foreach (SharedMemory memory in table.Values)
            {
                memory.ReleaseMapping();
            }
            throw;
        }
        foreach (KeyValuePair<ulong, SharedMemory> old in _regions)
        {
            bool alsoNew = table.TryGetValue(old.Key, out SharedMemory? same) && ReferenceEquals(same, old.Value);
            if (certain || alsoNew)
            {
                old.Value.ReleaseMapping();
            }
            else
            {
                _retained.Add(old.Value);
            }
        }
        _regions = table;
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.hl_sandbox_delete(handle);
        // The native sandbox is gone: nothing refers to the mapped memory or
        // to the log state any more.
        lock (_gate)
        {
            foreach (SharedMemory memory in _regions.Values)
            {
                memory.ReleaseMapping();
            }
            _regions.Clear();
            foreach (SharedMemory memory in _retained)
            {
                memory.ReleaseMapping();
            }
            _retained.Clear();
        }
        if (_logState.IsAllocated)
        {
            _logState.Free();
        }
        return true;
    }
}

/// <summary>
/// Owns one reference to an hl_snapshot_t* and the <see cref="SharedMemory"/>
/// regions it records (the native snapshot keeps their host addresses and
/// maps them again on every restore). Releasing it calls hl_snapshot_delete
/// and only then lets go of the memory. Sandboxes restored from or created
/// from the snapshot acquire the memory for themselves.
/// </summary>
internal sealed class SnapshotSafeHandle : SafeHandle
{
    private KeyValuePair<ulong, SharedMemory>[] _regions = Array.Empty<KeyValuePair<ulong, SharedMemory>>();

    /// <summary>Used by the P/Invoke marshaller for out parameters.</summary>
    public SnapshotSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>
    /// The SharedMemory regions the snapshot maps (guest address, memory).
    /// Valid while the caller holds a reference on this handle.
    /// </summary>
    internal KeyValuePair<ulong, SharedMemory>[] Regions => _regions;

    /// <summary>Takes over regions already acquired for this snapshot (right after it is made).</summary>
    internal void AdoptRegions(KeyValuePair<ulong, SharedMemory>[] regions)
    {
        _regions = regions;
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.hl_snapshot_delete(handle);
        foreach (KeyValuePair<ulong, SharedMemory> region in _regions)
        {
            region.Value.ReleaseMapping();
        }
        _regions = Array.Empty<KeyValuePair<ulong, SharedMemory>>();
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
