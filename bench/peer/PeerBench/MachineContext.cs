using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Hyperlight;

namespace PeerBench;

/// <summary>
/// What the run ran on, with the same fields as scripts/bench-report.sh's
/// machine.json, plus the versions of the two systems and of .NET.
/// </summary>
internal static class MachineContext
{
    public static double[] LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3)
                .Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return Array.Empty<double>();
        }
    }

    public static JsonObject Collect(string buildDir, double[] loadBefore, double[] loadAfter, DateTime startedUtc,
                                     bool quick)
    {
        string? commit = Git(buildDir, "rev-parse", "--short", "HEAD");
        // The benchmark page and its plots are bench-report.sh's output: a page
        // rendered earlier does not make the code measured differ from the commit.
        string? changes = commit == null ? null : Git(buildDir, "status", "--porcelain", "--untracked-files=no", "--",
                                                      ":/", ":(top,exclude)docs/benchmarks.md",
                                                      ":(top,exclude)docs/benchmarks");
        return new JsonObject
        {
            ["cpu_model"] = CpuModel(),
            ["cpus"] = Environment.ProcessorCount,
            ["kernel"] = ReadTrimmed("/proc/sys/kernel/osrelease"),
            ["kvm_modules"] = new JsonArray(KvmModules().Select(m => (JsonNode?)m).ToArray()),
            ["memory_gib"] = MemoryGib(),
            ["load_before"] = new JsonArray(loadBefore.Select(x => (JsonNode?)x).ToArray()),
            ["load_after"] = new JsonArray(loadAfter.Select(x => (JsonNode?)x).ToArray()),
            ["date_utc"] = startedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["commit"] = commit,
            ["dirty"] = changes == null ? null : changes.Length > 0,
            ["quick"] = quick,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["hyperlight_version"] = HyperlightLibrary.VersionString,
            ["wasmtime_version"] = WasmtimeVersion(),
            ["host_first_write_ns_per_page"] = FirstWriteNsPerPage(),
        };
    }

    /// <summary>
    /// What this process pays for the first write to a fresh anonymous page
    /// (the page fault that gives it a zeroed frame): the median over 200
    /// mappings of 256 pages, one byte written per page, mapping and
    /// unmapping not counted. Wasmtime's fresh linear memory pays it for every
    /// page a request writes; on nested or PVM KVM it is many times a
    /// bare-metal fault, so it says how far the page-writing cases carry over
    /// to another machine. Null when mmap fails.
    /// </summary>
    public static double? FirstWriteNsPerPage()
    {
        const int Pages = 256, Rounds = 200, PageBytes = 4096;
        var perPage = new double[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            IntPtr memory = mmap(IntPtr.Zero, Pages * PageBytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (memory == MapFailed)
            {
                return null;
            }
            long start = Stopwatch.GetTimestamp();
            for (int page = 0; page < Pages; page++)
            {
                Marshal.WriteByte(memory, page * PageBytes, 1);
            }
            perPage[round] = (Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency) / Pages;
            munmap(memory, Pages * PageBytes);
        }
        Array.Sort(perPage);
        return Math.Round(InterleavedSampler.Percentile(perPage, 50), 1);
    }

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;
    private static readonly IntPtr MapFailed = new(-1);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr mmap(IntPtr address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(IntPtr address, nuint length);

    /// <summary>The Wasmtime package's version, from its assembly (50.0.1+commit as NuGet built it: the + part dropped).</summary>
    public static string WasmtimeVersion()
    {
        string? version = typeof(Wasmtime.Engine).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        version ??= typeof(Wasmtime.Engine).Assembly.GetName().Version?.ToString() ?? "unknown";
        int plus = version.IndexOf('+');
        return plus < 0 ? version : version[..plus];
    }

    private static string? CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
            return line?[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string[] KvmModules()
    {
        try
        {
            return Directory.GetDirectories("/sys/module", "kvm*").Select(Path.GetFileName).OfType<string>()
                .Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    private static double? MemoryGib()
    {
        try
        {
            string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:"));
            if (line == null)
            {
                return null;
            }
            long kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return Math.Round(kib / 1024.0 / 1024.0, 1);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return null;
        }
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>git's output, or null when git or the repository is not there.</summary>
    private static string? Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(directory);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using Process git = Process.Start(start)!;
            string output = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            return git.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git
        }
    }
}
