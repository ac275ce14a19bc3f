using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json.Nodes;

namespace PeerBench;

/// <summary>
/// Hyperlight against Wasmtime, in one process and one run: each case's
/// request served by each system, many times, in alternating batches, so
/// that both see the same machine (bench/peer/README.md).
/// </summary>
internal static class Program
{
    private const string Synopsis = "usage: PeerBench [--quick] [--json PATH] [--build-dir DIR]";

    private const string Help = Synopsis + """


        Runs every case (fresh state per request: Add, 1/16/256 pages written, a
        script; a call on a live instance; creation) on hyperlight and on Wasmtime
        (its default configuration, and its pooling allocator with and without its
        linear memory kept resident), prints a table, and with
        --json writes the figures and the machine's context.

          --json PATH      write the results as JSON to PATH
          --build-dir DIR  the CMake build tree with src/libhyperlight.so and the
                           guests (default: found upwards from this program)
          --quick          few samples: a smoke test, not figures to quote
          -h, --help       this text
        """;

    private static readonly SamplingPlan Full = new(WarmupRequests: 300, Batches: 50, SamplesPerBatch: 200);
    private static readonly SamplingPlan Quick = new(WarmupRequests: 20, Batches: 4, SamplesPerBatch: 25);

    private static int Main(string[] args)
    {
        string? jsonPath = null, buildDir = null;
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            switch (option)
            {
                case "--json":
                case "--build-dir":
                    if (i + 1 >= args.Length || args[i + 1].Length == 0)
                    {
                        return UsageError(option + " needs a value");
                    }
                    if (option == "--json")
                    {
                        jsonPath = args[++i];
                    }
                    else
                    {
                        buildDir = args[++i];
                    }
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "-h":
                case "--help":
                    Console.WriteLine(Help);
                    return 0;
                default:
                    return UsageError(option.StartsWith('-') ? "unknown option: " + option
                                                             : "unexpected argument: " + option);
            }
        }

        buildDir = buildDir != null ? Path.GetFullPath(buildDir) : FindBuildDir();
        if (buildDir == null || !File.Exists(Path.Combine(buildDir, "src", "libhyperlight.so")))
        {
            Console.Error.WriteLine("PeerBench: no build tree with src/libhyperlight.so " +
                                    (buildDir == null ? "above this program" : "at " + buildDir) +
                                    "; build the library (scripts/build.sh) or pass --build-dir");
            return 1;
        }
        string scribbleGuest = Path.Combine(buildDir, "tests", "guests", "scribbleguest.elf");
        string luaGuest = Path.Combine(buildDir, "guests", "lua", "lua.elf");
        if (!File.Exists(scribbleGuest))
        {
            Console.Error.WriteLine("PeerBench: no " + scribbleGuest + "; build the library and its test guests");
            return 1;
        }
        string? luaMissing = File.Exists(luaGuest)
            ? null
            : "lua.elf not built (" + luaGuest + "; configured with -DHL_BUILD_SCRIPT_GUESTS=OFF?)";
        // The binding loads exactly this build's library (NativeMethods reads
        // the variable on its first call), not another copy on the system.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("HYPERLIGHT_LIB_DIR")))
        {
            Environment.SetEnvironmentVariable("HYPERLIGHT_LIB_DIR", Path.Combine(buildDir, "src"));
        }

        SamplingPlan plan = quick ? Quick : Full;
        DateTime started = DateTime.UtcNow;
        double[] loadBefore = MachineContext.LoadAverage();
        using var ours = new HyperlightRequests(scribbleGuest, luaMissing == null ? luaGuest : null, Cases.LuaScript,
                                                Cases.TouchPages);
        using var wasmtime = new WasmtimeRequests(WasmtimeSetup.Default);
        using var pooled = new WasmtimeRequests(WasmtimeSetup.Pooling);
        using var pooledResident = new WasmtimeRequests(WasmtimeSetup.PoolingKeepResident);
        WasmtimeRequests[] peers = { wasmtime, pooled, pooledResident };
        IReadOnlyList<BenchCase> cases = Cases.All(ours, peers, luaMissing);
        string? wrong = CheckAnswers(ours, peers);
        if (wrong != null)
        {
            Console.Error.WriteLine("PeerBench: the two systems disagree, so nothing was timed: " + wrong);
            return 1;
        }

        var results = new List<CaseResult>();
        foreach (BenchCase benchCase in cases)
        {
            Console.Error.WriteLine("PeerBench: " + benchCase.Title);
            IReadOnlyList<Measured> measured = benchCase.Contenders.Count == 0
                ? Array.Empty<Measured>()
                : InterleavedSampler.Run(benchCase.Contenders, plan);
            results.Add(new CaseResult(benchCase, measured));
        }
        double[] loadAfter = MachineContext.LoadAverage();

        JsonObject machine = MachineContext.Collect(buildDir, loadBefore, loadAfter, started, quick);

        Console.WriteLine();
        Output.PrintTable(Console.Out, results);
        if (machine["host_first_write_ns_per_page"] is JsonValue firstWrite)
        {
            Console.WriteLine("A first write to a fresh page of this process (a page fault) costs " +
                              Output.FormatNs(firstWrite.GetValue<double>()) + " here.");
        }
        if (jsonPath != null)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(jsonPath))!;
            Directory.CreateDirectory(directory);
            File.WriteAllText(jsonPath, Output.Json(results, machine, plan));
            Console.WriteLine();
            Console.WriteLine("wrote " + jsonPath);
        }
        return 0;
    }

    /// <summary>
    /// Every request once on each system, its answer compared: a benchmark
    /// of two systems computing different things would compare nothing.
    /// Null when all agree, else what differs.
    /// </summary>
    private static string? CheckAnswers(HyperlightRequests ours, IEnumerable<WasmtimeRequests> peers)
    {
        var problems = new List<string>();
        void Expect(string what, object expected, object actual)
        {
            if (!expected.Equals(actual))
            {
                problems.Add($"{what}: {actual}, expected {expected}");
            }
        }
        foreach (WasmtimeRequests peer in peers)
        {
            string name = Systems.Of(peer.Setup);
            Expect(name + " add", 42, peer.FreshAdd(40, 2));
            Expect(name + " live add", 42, peer.LiveAdd(40, 2));
            foreach (int pages in Cases.TouchPages)
            {
                Expect($"{name} touch_pages({pages})", pages, peer.FreshTouchPages(pages));
            }
            if (ours.HasLua)
            {
                Expect($"{name} fib({Cases.FibN}) against Lua", ours.FreshScript(),
                       peer.FreshFib(Cases.FibN).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        Expect(Systems.Hyperlight + " Add", 42, ours.FreshAdd());
        Expect(Systems.Hyperlight + " live Add", 42, ours.LiveAdd());
        for (int i = 0; i < Cases.TouchPages.Length; i++)
        {
            // TouchPages writes fewer pages than asked when the heap is smaller.
            Expect($"{Systems.Hyperlight} TouchPages({Cases.TouchPages[i]})", Cases.TouchPages[i],
                   ours.FreshTouchPages(i));
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>The first directory upwards from this program holding src/libhyperlight.so, or its build/.</summary>
    private static string? FindBuildDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            foreach (string candidate in new[] { dir.FullName, Path.Combine(dir.FullName, "build") })
            {
                if (File.Exists(Path.Combine(candidate, "src", "libhyperlight.so")))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine("PeerBench: " + message);
        Console.Error.WriteLine(Synopsis);
        Console.Error.WriteLine("(--help describes the options)");
        return 2;
    }
}
