using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerBench;

/// <summary>A case and what its contenders measured (none when the case could not run).</summary>
internal sealed record CaseResult(BenchCase Case, IReadOnlyList<Measured> Measured)
{
    public Measured? Of(string system) => Measured.FirstOrDefault(m => m.System == system);

    /// <summary>ours / peer, of the medians and of the p99s; null when either side is missing.</summary>
    public (double Median, double P99)? RatioTo(string peer)
    {
        Measured? ours = Of(Systems.Hyperlight), theirs = Of(peer);
        if (ours == null || theirs == null || theirs.MedianNs <= 0 || theirs.P99Ns <= 0)
        {
            return null;
        }
        return (ours.MedianNs / theirs.MedianNs, ours.P99Ns / theirs.P99Ns);
    }
}

/// <summary>The console table and the JSON file (tools/benchreport reads the JSON: keep the two in step).</summary>
internal static class Output
{
    /// <summary>The JSON's format; tools/benchreport/benchreport.py checks it.</summary>
    public const string Format = "hyperlight-peer-bench/1";

    public const string HyperlightIsolation =
        "a KVM virtual machine per sandbox: the guest has its own guest-physical memory and page tables and runs " +
        "in ring 3 with no OS; it reaches only what the VM maps, enforced by KVM with the CPU's paging and " +
        "privilege levels.";

    public const string WasmtimeIsolation =
        "in-process software fault isolation: the module is compiled (Cranelift) into the host process and runs " +
        "with its address space and privileges; its loads and stores are confined to its linear memory by bounds " +
        "checks and guard pages, its control flow by validation, so the boundary is the compiler's and runtime's " +
        "correctness.";

    public static string SystemDescription(string system) => system switch
    {
        Systems.Hyperlight => "hyperlight " + Hyperlight.HyperlightLibrary.VersionString + " (C# binding, default engine)",
        Systems.Wasmtime => "Wasmtime " + MachineContext.WasmtimeVersion() + " (.NET package), default configuration",
        Systems.WasmtimePooling => "Wasmtime " + MachineContext.WasmtimeVersion() +
                                   " (.NET package), pooling allocator (8 slots; pages decommitted on reuse, the default)",
        Systems.WasmtimePoolingKeepResident =>
            "Wasmtime " + MachineContext.WasmtimeVersion() + " (.NET package), pooling allocator (8 slots) with " +
            "linear_memory_keep_resident = the module's whole memory (1088 KiB): zeroed on reuse, not decommitted",
        _ => system,
    };

    public static void PrintTable(TextWriter writer, IReadOnlyList<CaseResult> results)
    {
        string[] headers = { "case", "system", "median", "p99", "mean", "requests", "ours/this p50", "ours/this p99" };
        var rows = new List<string[]>();
        foreach (CaseResult result in results)
        {
            if (result.Case.NotMeasured != null)
            {
                rows.Add(new[] { result.Case.Title, "not measured: " + result.Case.NotMeasured, "", "", "", "", "", "" });
                continue;
            }
            bool first = true;
            foreach (Measured m in result.Measured)
            {
                var ratio = m.System == Systems.Hyperlight ? null : result.RatioTo(m.System);
                string requests = m.RequestsPerSample == 1
                    ? m.Requests.ToString(CultureInfo.InvariantCulture)
                    : string.Create(CultureInfo.InvariantCulture, $"{m.Requests} ({m.RequestsPerSample}/sample)");
                rows.Add(new[]
                {
                    first ? result.Case.Title : "", m.System, FormatNs(m.MedianNs), FormatNs(m.P99Ns),
                    FormatNs(m.MeanNs), requests,
                    ratio is { } r ? FormatRatio(r.Median) : "", ratio is { } q ? FormatRatio(q.P99) : "",
                });
                first = false;
            }
        }
        int[] widths = headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        writer.WriteLine(Row(headers, widths));
        writer.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in rows)
        {
            writer.WriteLine(Row(row, widths));
        }
        writer.WriteLine();
        writer.WriteLine("ours/this: hyperlight's median (p50) or p99 over this row's system's, from the same batches.");
        writer.WriteLine("Isolation, hyperlight: " + HyperlightIsolation);
        writer.WriteLine("Isolation, Wasmtime:   " + WasmtimeIsolation);
        foreach (CaseResult result in results.Where(r => r.Case.Note != null))
        {
            writer.WriteLine(result.Case.Title + ": " + result.Case.Note);
        }
    }

    public static string Json(IReadOnlyList<CaseResult> results, JsonObject machine, SamplingPlan plan)
    {
        var cases = new JsonArray();
        foreach (CaseResult result in results)
        {
            var measured = new JsonObject();
            foreach (Measured m in result.Measured)
            {
                measured[m.System] = new JsonObject
                {
                    ["median_ns"] = Math.Round(m.MedianNs, 1),
                    ["p99_ns"] = Math.Round(m.P99Ns, 1),
                    ["mean_ns"] = Math.Round(m.MeanNs, 1),
                    ["iterations"] = m.Requests,
                    ["samples"] = m.Samples,
                    ["requests_per_sample"] = m.RequestsPerSample,
                };
            }
            var ratios = new JsonObject();
            foreach (string peer in Systems.Peers)
            {
                if (result.RatioTo(peer) is { } r)
                {
                    ratios[peer] = new JsonObject { ["median"] = Math.Round(r.Median, 4), ["p99"] = Math.Round(r.P99, 4) };
                }
            }
            cases.Add(new JsonObject
            {
                ["id"] = result.Case.Id,
                ["title"] = result.Case.Title,
                ["what"] = new JsonObject
                {
                    [Systems.Hyperlight] = result.Case.Hyperlight,
                    [Systems.Wasmtime] = result.Case.Wasmtime,
                },
                ["note"] = result.Case.Note,
                ["not_measured"] = result.Case.NotMeasured,
                ["results"] = measured,
                ["ratios"] = ratios,
            });
        }
        var systems = new JsonObject();
        foreach (string system in new[] { Systems.Hyperlight }.Concat(Systems.Peers))
        {
            systems[system] = SystemDescription(system);
        }
        var document = new JsonObject
        {
            ["format"] = Format,
            ["machine"] = machine,
            ["sampling"] = new JsonObject
            {
                ["warmup_requests"] = plan.WarmupRequests,
                ["batches"] = plan.Batches,
                ["samples_per_batch"] = plan.SamplesPerBatch,
                ["min_sample_ns"] = SamplingPlan.MinSampleNs,
                ["statistics"] = "per system: median and p99 (nearest rank) and mean of the samples; a sample is " +
                                 "one request, or the mean of requests_per_sample requests when one is shorter " +
                                 "than min_sample_ns; ratios are hyperlight / that system",
            },
            ["isolation"] = new JsonObject
            {
                [Systems.Hyperlight] = HyperlightIsolation,
                [Systems.Wasmtime] = WasmtimeIsolation,
            },
            ["systems"] = systems,
            ["cases"] = cases,
        };
        // Relaxed escaping: the file is read by tools, never embedded in HTML, and
        // an apostrophe is easier to read as itself than as \u0027.
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return document.ToJsonString(options) + "\n";
    }

    private static string Row(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            line.Append(i == 0 || i == 1 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
            if (i + 1 < cells.Length)
            {
                line.Append("  ");
            }
        }
        return line.ToString().TrimEnd();
    }

    /// <summary>Three significant figures in the unit that suits, as tools/benchreport shows times.</summary>
    public static string FormatNs(double ns)
    {
        foreach ((string unit, double scale) in new[] { ("s", 1e9), ("ms", 1e6), ("µs", 1e3) })
        {
            if (ns >= scale)
            {
                return ThreeFigures(ns / scale) + " " + unit;
            }
        }
        return ThreeFigures(ns) + " ns";
    }

    private static string ThreeFigures(double value) =>
        value.ToString(value >= 100 ? "F0" : value >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    public static string FormatRatio(double ratio) =>
        ratio.ToString(ratio < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) + "x";
}
