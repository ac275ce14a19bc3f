using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;

namespace Hyperlight;

/// <summary>
/// Hyperlight in .NET's own telemetry: a <see cref="System.Diagnostics.Metrics.Meter"/>
/// and an <see cref="System.Diagnostics.ActivitySource"/>, both named "Hyperlight"
/// (dotnet-counters: <c>--counters Hyperlight</c>; OpenTelemetry:
/// <c>AddMeter("Hyperlight")</c>, <c>AddSource("Hyperlight")</c>). Nothing is
/// measured for them while no listener listens.
/// </summary>
/// <remarks>
/// <para>
/// Counters (observable, read from the engines' own counters when a listener
/// collects; no cost per call): hyperlight.calls, hyperlight.call.failures
/// (tag "error.code": the <see cref="ErrorCode"/> name), hyperlight.kills,
/// hyperlight.kills.stale, hyperlight.host_calls, hyperlight.vm_exits,
/// hyperlight.restores, hyperlight.restored_pages, hyperlight.sandboxes.created
/// (tag "origin": cold, snapshot, pool or spare), hyperlight.sandboxes.deleted,
/// hyperlight.print.bytes and hyperlight.print.bytes.dropped. Every measurement
/// has the tag "engine": <see cref="Engine.Name"/>, or "default" for the
/// default engine. They cover every <see cref="Engine"/> not yet disposed, and
/// the default engine once a sandbox of this binding used it (collecting never
/// makes it).
/// </para>
/// <para>
/// Histograms, recorded by the binding only while enabled (in seconds):
/// hyperlight.call.duration (tags "engine", "hyperlight.function", and
/// "error.code" for failed calls) and hyperlight.sandbox.create.duration (tags
/// "engine", and "error.code" for failures).
/// </para>
/// <para>
/// Activities: while the source has listeners, each call (Call and
/// CallAndRestore, every overload) is an <see cref="Activity"/>
/// "hyperlight.call" (<see cref="ActivityKind.Internal"/>) with the tags
/// hyperlight.function, hyperlight.sandbox.id (<see cref="Sandbox.Id"/>) and
/// engine; when it ends, hyperlight.guest_cpu_ns, hyperlight.vm_exits,
/// hyperlight.host_calls (and hyperlight.pages_restored for CallAndRestore)
/// from the call's <see cref="CallStats"/>, and for a failed call the tag
/// error.code with status <see cref="ActivityStatusCode.Error"/> and the
/// error's message. Host functions run inside it, so their own activities
/// are its children.
/// </para>
/// </remarks>
public static class HyperlightTelemetry
{
    /// <summary>The name of the meter and of the activity source: "Hyperlight".</summary>
    public const string Name = "Hyperlight";

    /// <summary>The name of the call activities: "hyperlight.call".</summary>
    public const string CallActivityName = "hyperlight.call";

    /// <summary>The "engine" tag's value for the default engine.</summary>
    public const string DefaultEngineName = "default";

    private static readonly object Gate = new();
    private static readonly List<WeakReference<Engine>> Engines = new();
    private static int _defaultEngineUsed;

    /// <summary>The meter "Hyperlight" (version: the binding's, <see cref="AbiInfo.VersionString"/>).</summary>
    public static Meter Meter { get; } = new(Name, AbiInfo.VersionString);

    /// <summary>The activity source "Hyperlight" (version: the binding's).</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, AbiInfo.VersionString);

    internal static Histogram<double> CallDuration { get; } = Meter.CreateHistogram(
        "hyperlight.call.duration", "s", "Wall-clock duration of guest calls as their callers saw them",
        tags: null, advice: DurationBuckets());

    internal static Histogram<double> CreateDuration { get; } = Meter.CreateHistogram(
        "hyperlight.sandbox.create.duration", "s", "How long making a sandbox took",
        tags: null, advice: DurationBuckets());

    static HyperlightTelemetry()
    {
        Counter("hyperlight.calls", "{call}", "Guest calls made (refused ones too)", m => m.Calls);
        Meter.CreateObservableCounter("hyperlight.call.failures", ObserveFailures, "{call}",
                                      "Failed guest calls, by error code");
        Counter("hyperlight.kills", "{kill}", "Kills that stopped a running call", m => m.Kills);
        Counter("hyperlight.kills.stale", "{kill}", "Kills that found no call running or the sandbox gone",
                m => m.StaleKills);
        Counter("hyperlight.host_calls", "{call}", "Host functions guests called", m => m.HostCalls);
        Counter("hyperlight.vm_exits", "{exit}", "Times a vCPU left its guest during calls", m => m.VmExits);
        Counter("hyperlight.restores", "{restore}", "Snapshot restores", m => m.Restores);
        Counter("hyperlight.restored_pages", "{page}", "4 KiB pages restores copied", m => m.PagesRestored);
        Meter.CreateObservableCounter("hyperlight.sandboxes.created", ObserveCreated, "{sandbox}",
                                      "Sandboxes made, by origin");
        Counter("hyperlight.sandboxes.deleted", "{sandbox}", "Sandboxes deleted", m => m.SandboxesDeleted);
        Counter("hyperlight.print.bytes", "By", "Bytes guests printed", m => m.PrintBytes);
        Counter("hyperlight.print.bytes.dropped", "By", "Bytes past a print limit that no print writer got",
                m => m.PrintBytesDropped);
    }

    /// <summary>Counts an engine in the observable counters while it is alive and not disposed.</summary>
    internal static void Track(Engine engine)
    {
        lock (Gate)
        {
            Engines.RemoveAll(static r => !r.TryGetTarget(out _));
            Engines.Add(new WeakReference<Engine>(engine));
        }
    }

    /// <summary>
    /// A sandbox was made with the default engine, so it exists (until the
    /// process exits) and reading its metrics makes nothing.
    /// </summary>
    internal static void NoteDefaultEngineUsed()
    {
        if (Volatile.Read(ref _defaultEngineUsed) == 0)
        {
            Volatile.Write(ref _defaultEngineUsed, 1);
        }
    }

    internal static void RecordCall(long started, string engine, string function, HyperlightException? failure)
    {
        var tags = new TagList { { "engine", engine }, { "hyperlight.function", function } };
        if (failure != null)
        {
            tags.Add("error.code", EngineMetrics.CodeName(failure.Code));
        }
        CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }

    internal static void RecordCreate(long started, string engine, Exception? failure)
    {
        var tags = new TagList { { "engine", engine } };
        if (failure != null)
        {
            tags.Add("error.code", failure is HyperlightException e ? EngineMetrics.CodeName(e.Code) : failure.GetType().Name);
        }
        CreateDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }

    /// <summary>Starts a call's activity if a listener wants it, with the tags known at the start.</summary>
    internal static Activity? StartCall(string function, Sandbox sandbox, string engine)
    {
        Activity? activity = ActivitySource.StartActivity(CallActivityName, ActivityKind.Internal);
        if (activity == null)
        {
            return null;
        }
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("hyperlight.function", function);
            activity.SetTag("hyperlight.sandbox.id", (long)sandbox.CachedId);
            activity.SetTag("engine", engine);
        }
        return activity;
    }

    /// <summary>Sets a call activity's outcome and statistics (the caller stops it).</summary>
    internal static void EndCall(Activity activity, HyperlightException? failure, in HlCallStats stats,
                                 bool restored)
    {
        if (!activity.IsAllDataRequested)
        {
            return;
        }
        activity.SetTag("hyperlight.guest_cpu_ns", (long)stats.GuestCpuNs);
        activity.SetTag("hyperlight.vm_exits", (long)stats.VmExits);
        activity.SetTag("hyperlight.host_calls", (long)stats.HostCalls);
        if (restored)
        {
            activity.SetTag("hyperlight.pages_restored", (long)stats.PagesRestored);
        }
        if (failure != null)
        {
            activity.SetTag("error.code", EngineMetrics.CodeName(failure.Code));
            activity.SetStatus(ActivityStatusCode.Error, failure.Message);
        }
    }

    private static InstrumentAdvice<double>? DurationBuckets()
    {
        // The engines' own buckets (5 µs to 10 s), in seconds; the last is +Inf.
        var bounds = new double[(int)MetricsSize.HistogramBuckets - 1];
        try
        {
            for (uint i = 0; i < bounds.Length; i++)
            {
                bounds[i] = NativeMethods.hl_histogram_bucket_bound_ns(i) / 1e9;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            // No usable library: the first native call of the caller reports
            // it; this class must not fail to initialise because of it.
            return null;
        }
        return new InstrumentAdvice<double> { HistogramBucketBoundaries = bounds };
    }

    private static void Counter(string name, string unit, string description, Func<EngineMetrics, ulong> read) =>
        Meter.CreateObservableCounter(name, () => Observe(read), unit, description);

    private static IEnumerable<Measurement<long>> Observe(Func<EngineMetrics, ulong> read)
    {
        var measurements = new List<Measurement<long>>();
        foreach ((string engine, EngineMetrics metrics) in ReadEngines())
        {
            measurements.Add(new Measurement<long>(ToLong(read(metrics)),
                                                   new KeyValuePair<string, object?>("engine", engine)));
        }
        return measurements;
    }

    private static IEnumerable<Measurement<long>> ObserveFailures()
    {
        var measurements = new List<Measurement<long>>();
        foreach ((string engine, EngineMetrics metrics) in ReadEngines())
        {
            foreach ((ErrorCode code, ulong count) in metrics.FailuresByCode)
            {
                measurements.Add(new Measurement<long>(ToLong(count),
                                                       new KeyValuePair<string, object?>("engine", engine),
                                                       new KeyValuePair<string, object?>(
                                                           "error.code", EngineMetrics.CodeName(code))));
            }
        }
        return measurements;
    }

    private static IEnumerable<Measurement<long>> ObserveCreated()
    {
        var measurements = new List<Measurement<long>>();
        foreach ((string engine, EngineMetrics metrics) in ReadEngines())
        {
            foreach ((SandboxOrigin origin, ulong count) in metrics.SandboxesCreated)
            {
                measurements.Add(new Measurement<long>(ToLong(count),
                                                       new KeyValuePair<string, object?>("engine", engine),
                                                       new KeyValuePair<string, object?>("origin", OriginName(origin))));
            }
        }
        return measurements;
    }

    internal static string OriginName(SandboxOrigin origin) => origin switch
    {
        SandboxOrigin.Cold => "cold",
        SandboxOrigin.Snapshot => "snapshot",
        SandboxOrigin.Pool => "pool",
        SandboxOrigin.Spare => "spare",
        _ => ((uint)origin).ToString(),
    };

    private static long ToLong(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    /// <summary>The metrics of every tracked engine, and of the default engine if it exists.</summary>
    private static unsafe List<(string Engine, EngineMetrics Metrics)> ReadEngines()
    {
        var engines = new List<Engine>();
        lock (Gate)
        {
            Engines.RemoveAll(static r => !r.TryGetTarget(out _));
            foreach (WeakReference<Engine> reference in Engines)
            {
                if (reference.TryGetTarget(out Engine? engine))
                {
                    engines.Add(engine);
                }
            }
        }
        var result = new List<(string, EngineMetrics)>(engines.Count + 1);
        foreach (Engine engine in engines)
        {
            if (engine.TryGetMetrics() is EngineMetrics metrics)
            {
                result.Add((engine.Name, metrics));
            }
        }
        if (Volatile.Read(ref _defaultEngineUsed) != 0)
        {
            HlMetrics raw;
            IntPtr err = NativeMethods.hl_engine_metrics_default(IntPtr.Zero, &raw);
            if (err == IntPtr.Zero)
            {
                result.Add((DefaultEngineName, new EngineMetrics(in raw)));
            }
            else
            {
                HyperlightException.FromNative(err); // frees it
            }
        }
        return result;
    }
}
