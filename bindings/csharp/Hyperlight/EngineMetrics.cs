using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Text;

namespace Hyperlight;

/// <summary>
/// An engine's counters and histograms since it was made, read at one moment
/// (<see cref="Engine.GetMetrics"/>, <see cref="HyperlightLibrary.GetMetrics"/>
/// for the default engine). Counters only grow; compare two snapshots for what
/// happened in between.
/// </summary>
public sealed class EngineMetrics
{
    private static readonly ErrorCode[] KnownCodes = Enum.GetValues<ErrorCode>();

    internal unsafe EngineMetrics(in HlMetrics m)
    {
        Calls = m.Calls;
        CallFailures = m.CallFailures;
        Kills = m.Kills;
        StaleKills = m.StaleKills;
        HostCalls = m.HostCalls;
        VmExits = m.VmExits;
        Restores = m.Restores;
        PagesRestored = m.PagesRestored;
        SandboxesDeleted = m.SandboxesDeleted;
        PrintBytes = m.PrintBytes;
        PrintBytesDropped = m.PrintBytesDropped;

        var failures = new Dictionary<ErrorCode, ulong>();
        var created = new Dictionary<SandboxOrigin, ulong>();
        fixed (HlMetrics* p = &m)
        {
            for (int code = 0; code < (int)MetricsSize.ErrorCodes; code++)
            {
                if (p->FailuresByCode[code] != 0)
                {
                    failures[(ErrorCode)code] = p->FailuresByCode[code];
                }
            }
            for (int origin = 0; origin < (int)MetricsSize.Origins; origin++)
            {
                created[(SandboxOrigin)origin] = p->SandboxesCreated[origin];
            }
            CallDuration = new DurationHistogram(p->CallDurationCount, p->CallDurationSumNs, p->CallDurationBuckets);
            RestoreDuration = new DurationHistogram(p->RestoreDurationCount, p->RestoreDurationSumNs,
                                                    p->RestoreDurationBuckets);
            CreateDuration = new DurationHistogram(p->CreateDurationCount, p->CreateDurationSumNs,
                                                   p->CreateDurationBuckets);
        }
        FailuresByCode = new ReadOnlyDictionary<ErrorCode, ulong>(failures);
        SandboxesCreated = new ReadOnlyDictionary<SandboxOrigin, ulong>(created);
    }

    /// <summary>Guest calls made (every Call and CallAndRestore, refused ones too).</summary>
    public ulong Calls { get; }

    /// <summary>Of those, calls that failed (any code).</summary>
    public ulong CallFailures { get; }

    /// <summary>
    /// Failed calls by error code, only codes with at least one failure:
    /// <see cref="ErrorCode.Cancelled"/> for kills and cancellations,
    /// <see cref="ErrorCode.Timeout"/>, <see cref="ErrorCode.CpuBudgetExceeded"/>, ...
    /// (<c>FailuresByCode.GetValueOrDefault(code)</c> for any code).
    /// </summary>
    public IReadOnlyDictionary<ErrorCode, ulong> FailuresByCode { get; }

    /// <summary><see cref="InterruptHandle.Kill"/> calls that stopped a running call.</summary>
    public ulong Kills { get; }

    /// <summary>
    /// <see cref="InterruptHandle.Kill"/> calls that found no call running or the
    /// sandbox gone (<see cref="KillResult.NotRunning"/>, <see cref="KillResult.SandboxGone"/>).
    /// </summary>
    public ulong StaleKills { get; }

    /// <summary>Host functions guests called.</summary>
    public ulong HostCalls { get; }

    /// <summary>Times a vCPU left its guest during calls.</summary>
    public ulong VmExits { get; }

    /// <summary>Snapshot restores (Restore, CallAndRestore, reuse of a kept sandbox).</summary>
    public ulong Restores { get; }

    /// <summary>4 KiB pages those restores copied.</summary>
    public ulong PagesRestored { get; }

    /// <summary>Sandboxes made, by origin (every <see cref="SandboxOrigin"/> is present).</summary>
    public IReadOnlyDictionary<SandboxOrigin, ulong> SandboxesCreated { get; }

    /// <summary>Sandboxes deleted (disposed, or finalized).</summary>
    public ulong SandboxesDeleted { get; }

    /// <summary>Sandboxes alive now: made minus deleted.</summary>
    public ulong SandboxesAlive
    {
        get
        {
            ulong created = 0;
            foreach (ulong n in SandboxesCreated.Values)
            {
                created += n;
            }
            // Read without a lock: a deletion may be counted before its creation was.
            return created > SandboxesDeleted ? created - SandboxesDeleted : 0;
        }
    }

    /// <summary>Bytes guests printed.</summary>
    public ulong PrintBytes { get; }

    /// <summary>Of those, bytes past a print limit that no print writer got.</summary>
    public ulong PrintBytesDropped { get; }

    /// <summary>Wall-clock duration of every guest call.</summary>
    public DurationHistogram CallDuration { get; }

    /// <summary>Wall-clock duration of every restore.</summary>
    public DurationHistogram RestoreDuration { get; }

    /// <summary>How long making each sandbox took.</summary>
    public DurationHistogram CreateDuration { get; }

    /// <summary>Decodes text from hl_engine_metrics_write_prometheus and frees it.</summary>
    internal static unsafe string TakePrometheusText(byte* text, nuint length)
    {
        try
        {
            return text == null ? string.Empty : Encoding.UTF8.GetString(text, checked((int)length));
        }
        finally
        {
            NativeMethods.hl_free(text);
        }
    }

    /// <summary>The name of an error code (its <see cref="ErrorCode"/> member, else the number).</summary>
    internal static string CodeName(ErrorCode code) =>
        Array.IndexOf(KnownCodes, code) >= 0 ? code.ToString() : ((uint)code).ToString();
}

/// <summary>
/// A histogram of durations: how many, their sum, and how many fell into each
/// bucket. The buckets are the library's (5 µs up to 10 s, then +Inf), the same
/// for every histogram, and not cumulative.
/// </summary>
public sealed class DurationHistogram
{
    private static readonly TimeSpan[] Bounds = ReadBounds();

    internal unsafe DurationHistogram(ulong count, ulong sumNs, ulong* buckets)
    {
        Count = count;
        Sum = CallStats.FromNs(sumNs);
        var list = new HistogramBucket[Bounds.Length];
        for (int i = 0; i < list.Length; i++)
        {
            list[i] = new HistogramBucket(Bounds[i], buckets[i]);
        }
        Buckets = Array.AsReadOnly(list);
    }

    /// <summary>How many durations were recorded.</summary>
    public ulong Count { get; }

    /// <summary>Their total.</summary>
    public TimeSpan Sum { get; }

    /// <summary>
    /// The buckets in ascending order of their bounds: each counts the durations
    /// above the previous bucket's bound and at most its own. Not cumulative:
    /// they add up to <see cref="Count"/> (when read while no call runs).
    /// </summary>
    public IReadOnlyList<HistogramBucket> Buckets { get; }

    /// <summary>The buckets' upper bounds, from hl_histogram_bucket_bound_ns.</summary>
    private static TimeSpan[] ReadBounds()
    {
        var bounds = new TimeSpan[(int)MetricsSize.HistogramBuckets];
        for (uint i = 0; i < bounds.Length; i++)
        {
            ulong ns = NativeMethods.hl_histogram_bucket_bound_ns(i);
            bounds[i] = ns == ulong.MaxValue ? TimeSpan.MaxValue : CallStats.FromNs(ns);
        }
        return bounds;
    }
}

/// <summary>One bucket of a <see cref="DurationHistogram"/>.</summary>
/// <param name="UpperBound">The longest duration the bucket counts; <see cref="TimeSpan.MaxValue"/>
/// for the last bucket (+Inf).</param>
/// <param name="Count">How many durations fell into it (above the previous bucket's bound).</param>
public readonly record struct HistogramBucket(TimeSpan UpperBound, ulong Count);
