using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace PeerBench;

/// <summary>One system's way of serving a case's request: one call of <see cref="Request"/> is one request.</summary>
internal sealed record Contender(string System, Action Request);

/// <summary>How much a case samples: the same for every contender of the case.</summary>
internal sealed record SamplingPlan(int WarmupRequests, int Batches, int SamplesPerBatch)
{
    /// <summary>
    /// In a sample shorter than this, the clock's own cost (two reads of the
    /// TSC through the vDSO, tens of ns) is more than a few percent, so a
    /// request that fast (a call on a live Wasm instance) is timed in groups:
    /// each sample is the mean of as many requests as fill this time, and its
    /// p99 is then one of those means, not of single requests (the output
    /// says how many requests a sample holds).
    /// </summary>
    public const double MinSampleNs = 1_000;
}

/// <summary>One contender's figures for one case.</summary>
internal sealed record Measured(string System, double MedianNs, double P99Ns, double MeanNs, long Requests,
                                int RequestsPerSample, int Samples);

/// <summary>
/// Times every contender of a case in one process, in alternating batches:
/// batch b runs each contender's SamplesPerBatch samples in turn, starting
/// with contender b mod n, so a change of the machine's load (it drifts by
/// ±15% here) falls on every contender alike instead of on whichever ran
/// last.
/// </summary>
internal static class InterleavedSampler
{
    public static IReadOnlyList<Measured> Run(IReadOnlyList<Contender> contenders, SamplingPlan plan)
    {
        // Warm-up: the JIT's tiers, the engines' pools and caches, the first
        // page faults of every memory the requests use.
        foreach (Contender contender in contenders)
        {
            for (int i = 0; i < plan.WarmupRequests; i++)
            {
                contender.Request();
            }
        }
        int[] requestsPerSample = contenders.Select(RequestsPerSample).ToArray();

        // Garbage of the warm-up (and of earlier cases) collected now, not
        // inside this case's samples.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        int n = contenders.Count;
        var samples = new double[n][];
        for (int c = 0; c < n; c++)
        {
            samples[c] = new double[plan.Batches * plan.SamplesPerBatch];
        }
        for (int batch = 0; batch < plan.Batches; batch++)
        {
            for (int turn = 0; turn < n; turn++)
            {
                int c = (batch + turn) % n;
                Action request = contenders[c].Request;
                int group = requestsPerSample[c];
                double[] into = samples[c];
                int at = batch * plan.SamplesPerBatch;
                for (int s = 0; s < plan.SamplesPerBatch; s++)
                {
                    into[at + s] = TimeNs(request, group) / group;
                }
            }
        }

        var measured = new List<Measured>(n);
        for (int c = 0; c < n; c++)
        {
            double[] sorted = samples[c];
            Array.Sort(sorted);
            measured.Add(new Measured(contenders[c].System, Percentile(sorted, 50), Percentile(sorted, 99),
                                      sorted.Average(), (long)sorted.Length * requestsPerSample[c],
                                      requestsPerSample[c], sorted.Length));
        }
        return measured;
    }

    /// <summary>
    /// The p-th percentile (0 &lt; p &lt;= 100) of sorted samples by nearest
    /// rank: the smallest sample with at least p% of them at or below it, so
    /// always a value that was measured (as bench/percentiles.h).
    /// </summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    /// <summary>1, or as many requests as fill <see cref="SamplingPlan.MinSampleNs"/> when one is shorter.</summary>
    private static int RequestsPerSample(Contender contender)
    {
        var single = new double[101];
        for (int i = 0; i < single.Length; i++)
        {
            single[i] = TimeNs(contender.Request, 1);
        }
        Array.Sort(single);
        double median = Percentile(single, 50);
        return median >= SamplingPlan.MinSampleNs ? 1 : (int)Math.Ceiling(SamplingPlan.MinSampleNs / Math.Max(median, 1));
    }

    private static double TimeNs(Action request, int times)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < times; i++)
        {
            request();
        }
        long end = Stopwatch.GetTimestamp();
        return (end - start) * (1e9 / Stopwatch.Frequency);
    }
}
