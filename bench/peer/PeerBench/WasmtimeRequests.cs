using System;
using Wasmtime;

namespace PeerBench;

/// <summary>The Wasmtime configurations measured.</summary>
internal enum WasmtimeSetup
{
    /// <summary>
    /// Wasmtime's defaults: each instance's linear memory mapped when it is
    /// made and unmapped when its Store goes, so every page a request writes
    /// is a fresh page the host kernel faults in.
    /// </summary>
    Default,

    /// <summary>
    /// The pooling allocator, the configuration Wasmtime recommends for an
    /// instance per request: instance slots and memory reservations are kept
    /// for reuse, and a slot's pages are decommitted (madvise) when its
    /// instance goes, so written pages fault in again.
    /// </summary>
    Pooling,

    /// <summary>
    /// The pooling allocator keeping the whole linear memory resident
    /// (linear_memory_keep_resident = 1088 KiB): a slot is reset by zeroing
    /// that memory instead of decommitting it, so no page faults, but the
    /// same memset for every request whatever it wrote.
    /// </summary>
    PoolingKeepResident,
}

/// <summary>
/// Wasmtime's side: one engine and one module compiled once (Cranelift, at
/// start-up), and the requests each case makes of them. A "fresh" request
/// is what a fresh state per request costs in Wasmtime: a new Store, the
/// precompiled module instantiated in it (its linear memory allocated), the
/// export looked up and called, the Store disposed.
/// </summary>
internal sealed class WasmtimeRequests : IDisposable
{
    /// <summary>
    /// The module every Wasmtime case uses, written by hand in WAT (no C-to-Wasm
    /// toolchain is installed here). It mirrors what the hyperlight side calls:
    /// scribbleguest's Add and TouchPages, and the Lua script's fib. Its memory,
    /// 17 Wasm pages of 64 KiB (1088 KiB), holds the 256 4-KiB pages the largest
    /// touch case writes, with room to spare, as the guest's heap does.
    /// </summary>
    public const string ModuleText = """
        (module
          (memory (export "memory") 17)

          (func (export "add") (param $a i32) (param $b i32) (result i32)
            (i32.add (local.get $a) (local.get $b)))

          ;; One 8-byte word in each of $pages 4 KiB pages, read, incremented and
          ;; written back, as scribbleguest's TouchPages does to its heap. Returns
          ;; how many pages it wrote.
          (func (export "touch_pages") (param $pages i32) (result i32)
            (local $i i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $pages)))
                (i64.store (i32.shl (local.get $i) (i32.const 12))
                  (i64.add (i64.load (i32.shl (local.get $i) (i32.const 12))) (i64.const 1)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (local.get $i))

          ;; The Lua case's script, the same algorithm: naive recursive Fibonacci.
          (func $fib (export "fib") (param $n i64) (result i64)
            (if (result i64) (i64.lt_s (local.get $n) (i64.const 2))
              (then (local.get $n))
              (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                             (call $fib (i64.sub (local.get $n) (i64.const 2)))))))
        )
        """;

    private readonly Engine _engine;
    private readonly Module _module;
    private readonly Store _liveStore;
    private readonly Func<int, int, int> _liveAdd;

    public WasmtimeRequests(WasmtimeSetup setup)
    {
        var config = new Config();
        if (setup != WasmtimeSetup.Default)
        {
            // A small pool: one instance lives at a time here, and the default
            // of 1000 slots would reserve terabytes of address space. The
            // config copies the pool's settings (wasmtime_pooling_allocation_strategy_set).
            using var pool = new PoolingAllocationConfig()
                .WithMaxCoreInstances(PoolSlots)
                .WithMaxMemories(PoolSlots)
                .WithMaxTables(PoolSlots)
                .WithMaxGcHeaps(PoolSlots);
            if (setup == WasmtimeSetup.PoolingKeepResident)
            {
                pool.WithLinearMemoryKeepResidentBytes(MemoryBytes);
            }
            config.WithPoolingAllocationStrategy(pool);
        }
        Setup = setup;
        _engine = new Engine(config); // takes and disposes the config
        _module = Module.FromText(_engine, "request", ModuleText);
        _liveStore = new Store(_engine);
        var live = new Instance(_liveStore, _module);
        _liveAdd = live.GetFunction<int, int, int>("add") ?? throw new InvalidOperationException("no export add");
    }

    private const uint PoolSlots = 8;

    /// <summary>The module's linear memory: 17 Wasm pages of 64 KiB.</summary>
    public const nuint MemoryBytes = 17 * 65536;

    public WasmtimeSetup Setup { get; }

    public int FreshAdd(int a, int b)
    {
        using var store = new Store(_engine);
        var instance = new Instance(store, _module);
        return instance.GetFunction<int, int, int>("add")!(a, b);
    }

    public int FreshTouchPages(int pages)
    {
        using var store = new Store(_engine);
        var instance = new Instance(store, _module);
        return instance.GetFunction<int, int>("touch_pages")!(pages);
    }

    public long FreshFib(long n)
    {
        using var store = new Store(_engine);
        var instance = new Instance(store, _module);
        return instance.GetFunction<long, long>("fib")!(n);
    }

    /// <summary>A call on an instance that stays alive (made at start-up).</summary>
    public int LiveAdd(int a, int b) => _liveAdd(a, b);

    /// <summary>An instance in a new Store, nothing called, the Store disposed.</summary>
    public void CreateInstance()
    {
        using var store = new Store(_engine);
        _ = new Instance(store, _module);
    }

    public void Dispose()
    {
        _liveStore.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }
}
