// ScriptRunner: untrusted scripts, each on a clean interpreter.
//
// Boots a script guest (lua.elf or js.elf) once and snapshots it with its
// interpreter ready; makes one sandbox per worker from that snapshot; runs
// every script with CallAndRestore, so each starts from the snapshot
// whatever the previous one did, under a time limit and a CPU budget.
// Scripts may call Add(long, long) -> long through the guest's bridge:
// host.call("Add", 40, 2).
// Usage: ScriptRunner GUEST.elf SCRIPT...
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Hyperlight;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: ScriptRunner GUEST.elf SCRIPT...");
            return 2;
        }
        using var hosts = new HostFunctions();
        hosts.Add<long, long, long>("Add", (a, b) => a + b);
        var options = new SandboxOptions { HostFunctions = hosts };
        using var first = Sandbox.FromFile(args[0], options);
        using Snapshot snapshot = first.Snapshot();
        const int workers = 2;
        var sandboxes = new List<Sandbox> { first };
        for (int i = 1; i < workers; i++) sandboxes.Add(Sandbox.FromSnapshot(snapshot, options));

        var limits = new CallOptions { Timeout = TimeSpan.FromSeconds(1), CpuBudget = TimeSpan.FromMilliseconds(200) };
        string[] scripts = args.Skip(1).ToArray();
        var results = new string[scripts.Length];
        // Worker w takes scripts w, w + workers, ...: one call at a time per sandbox.
        Parallel.For(0, workers, w =>
        {
            for (int i = w; i < scripts.Length; i += workers)
            {
                try
                {
                    string result = sandboxes[w].CallAndRestore<string>(snapshot, "Eval", limits, out CallStats stats,
                        scripts[i]);
                    results[i] = $"{result}  ({stats.Wall.TotalMilliseconds:F3} ms, guest CPU {stats.GuestCpu.TotalMilliseconds:F3} ms)";
                }
                catch (HyperlightException e)
                {
                    results[i] = $"error {e.Code}: {e.Message}";
                }
            }
        });
        foreach (string line in results) Console.WriteLine(line);
        foreach (Sandbox sb in sandboxes.Skip(1)) sb.Dispose();
        return 0;
    }
}
