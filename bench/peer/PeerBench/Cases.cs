using System;
using System.Collections.Generic;
using System.Linq;

namespace PeerBench;

/// <summary>The systems measured, as the JSON names them.</summary>
internal static class Systems
{
    public const string Hyperlight = "hyperlight";
    public const string Wasmtime = "wasmtime";
    public const string WasmtimePooling = "wasmtime_pooling";
    public const string WasmtimePoolingKeepResident = "wasmtime_pooling_keep_resident";

    /// <summary>The systems ours is set against, in the order the output shows them.</summary>
    public static readonly string[] Peers = { Wasmtime, WasmtimePooling, WasmtimePoolingKeepResident };

    public static string Of(WasmtimeSetup setup) => setup switch
    {
        WasmtimeSetup.Default => Wasmtime,
        WasmtimeSetup.Pooling => WasmtimePooling,
        WasmtimeSetup.PoolingKeepResident => WasmtimePoolingKeepResident,
        _ => throw new ArgumentOutOfRangeException(nameof(setup)),
    };
}

/// <summary>
/// One comparison: what each system does per request, and the contenders
/// that do it. A case whose hyperlight side cannot run here (lua.elf not
/// built) has no contenders and says why in <see cref="NotMeasured"/>.
/// </summary>
internal sealed record BenchCase(string Id, string Title, string Hyperlight, string Wasmtime,
                                 IReadOnlyList<Contender> Contenders, string? Note = null,
                                 string? NotMeasured = null);

/// <summary>The cases of issue 18 (part 1), in the order they run.</summary>
internal static class Cases
{
    /// <summary>The page counts of case (b), which scribbleguest's TouchPages and the module's touch_pages write.</summary>
    public static readonly int[] TouchPages = { 1, 16, 256 };

    /// <summary>fib(FibN), 1973 Lua calls: about 90 µs of Lua on this machine, a request-sized script.</summary>
    public const int FibN = 15;

    public static string LuaScript =>
        "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end " +
        $"return fib({FibN})";

    /// <param name="peers">One per Wasmtime configuration, the first the default one.</param>
    public static IReadOnlyList<BenchCase> All(HyperlightRequests ours, IReadOnlyList<WasmtimeRequests> peers,
                                               string? luaMissing)
    {
        // Ours first, then each Wasmtime configuration serving the same request.
        Contender[] Fresh(Action hyperlight, Func<WasmtimeRequests, Action> wasmtime) =>
            peers.Select(peer => new Contender(Systems.Of(peer.Setup), wasmtime(peer)))
                .Prepend(new Contender(Systems.Hyperlight, hyperlight)).ToArray();
        WasmtimeRequests defaultWasmtime = peers[0];

        const string FreshWasmtime = "new Store, the precompiled module instantiated in it, {0} called, Store disposed";
        var cases = new List<BenchCase>
        {
            new("fresh_add", "(a) fresh state per request: Add(40, 2)",
                "CallAndRestore(Add) on a scribbleguest.elf sandbox, restored to its snapshot",
                string.Format(FreshWasmtime, "add(40, 2)"),
                Fresh(() => ours.FreshAdd(), peer => () => peer.FreshAdd(40, 2))),
        };
        for (int i = 0; i < TouchPages.Length; i++)
        {
            int which = i, pages = TouchPages[i];
            cases.Add(new BenchCase(
                $"fresh_pages_{pages}", $"(b) fresh state per request: write {pages} page{(pages == 1 ? "" : "s")}",
                $"CallAndRestore(TouchPages({pages})): one word in each of {pages} heap pages, then those pages restored",
                string.Format(FreshWasmtime, $"touch_pages({pages}) (one word in each of {pages} 4 KiB pages of its memory)"),
                Fresh(() => ours.FreshTouchPages(which), peer => () => peer.FreshTouchPages(pages))));
        }
        const string ScriptNote =
            "Not like for like: the hyperlight side parses, compiles and interprets a Lua script (lua.elf, Lua 5.4) on " +
            "every request; the Wasmtime side runs the same algorithm written by hand in WAT and compiled to machine " +
            "code once, at start-up (no C-to-Wasm toolchain here, so not the Lua interpreter compiled to Wasm). It " +
            "shows what serving a small script costs in each, not the cost of the two isolation mechanisms.";
        cases.Add(new BenchCase(
            "fresh_script", $"(c) fresh state per request: script, recursive fib({FibN})",
            $"CallAndRestore(Eval) on a lua.elf sandbox: the Lua source of fib({FibN}), parsed and run on a clean interpreter",
            string.Format(FreshWasmtime, $"fib({FibN}) (hand-written WAT, the same algorithm)"),
            luaMissing == null
                ? Fresh(() => ours.FreshScript(), peer => () => peer.FreshFib(FibN))
                : Array.Empty<Contender>(),
            ScriptNote, luaMissing));
        cases.Add(new BenchCase(
            "live_add", "(d) a call on a live instance: Add(40, 2)",
            "Call(Add) on a live scribbleguest.elf sandbox (no restore)",
            "add(40, 2) on a live instance, through its typed delegate",
            new[] { new Contender(Systems.Hyperlight, () => ours.LiveAdd()),
                    new Contender(Systems.Wasmtime, () => defaultWasmtime.LiveAdd(40, 2)) },
            "Only Wasmtime's default configuration: how instances are allocated changes nothing for a call on a " +
            "live one."));
        cases.Add(new BenchCase(
            "create", "(e) creation: a sandbox / an instance, nothing called",
            "Sandbox.FromSnapshot of the scribbleguest.elf snapshot, then disposed",
            "new Store, the precompiled module instantiated in it, Store disposed",
            Fresh(() => ours.CreateSandbox(), peer => () => peer.CreateInstance())));
        return cases;
    }
}
