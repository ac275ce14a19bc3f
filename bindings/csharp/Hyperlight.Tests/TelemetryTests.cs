using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>
/// The listeners of these tests are process-wide: while they listen, every
/// call of every test records measurements and makes activities. The
/// collection runs alone, after the parallel ones, so other tests never run
/// on that path; the tests still look only at their own engine's tag.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

/// <summary>The Meter and the ActivitySource "Hyperlight" (<see cref="HyperlightTelemetry"/>).</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private sealed record Measured(string Instrument, double Value, Dictionary<string, object?> Tags);

    /// <summary>Listens to every instrument of the meter "Hyperlight" and keeps what it measures.</summary>
    private sealed class HyperlightMeterListener : IDisposable
    {
        private readonly MeterListener _listener = new();

        internal HyperlightMeterListener()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == HyperlightTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Keep(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Keep(instrument, value, tags));
            _listener.Start();
        }

        internal ConcurrentQueue<Measured> Measurements { get; } = new();

        internal void Collect() => _listener.RecordObservableInstruments();

        /// <summary>What was measured for one engine (by its tag).</summary>
        internal List<Measured> Of(string instrument, string engine) =>
            Measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("engine"), engine))
                        .ToList();

        public void Dispose() => _listener.Dispose();

        private void Keep(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }
            Measurements.Enqueue(new Measured(instrument.Name, value, copy));
        }
    }

    [Fact]
    public void AMeterListenerSeesTheEnginesCountersAndTheCallDurations()
    {
        using var meter = new HyperlightMeterListener();
        string name = Observe.UniqueEngineName();
        using var engine = new Engine(new EngineOptions { Name = name });
        using (Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { Engine = engine }))
        {
            for (int i = 0; i < 4; i++)
            {
                sb.Call("Add", i, 1);
            }
            Assert.Equal(ErrorCode.Timeout, Observe.CodeOf(() => sb.Call("Spin", TimeSpan.FromMilliseconds(20))));
        }

        meter.Collect();
        Measured calls = Assert.Single(meter.Of("hyperlight.calls", name));
        Assert.Equal(5, calls.Value);
        Measured failures = Assert.Single(meter.Of("hyperlight.call.failures", name));
        Assert.Equal(1, failures.Value);
        Assert.Equal("Timeout", failures.Tags["error.code"]);
        List<Measured> created = meter.Of("hyperlight.sandboxes.created", name);
        Assert.Equal(1, created.Single(m => Equals(m.Tags["origin"], "cold")).Value);
        Assert.Equal(0, created.Where(m => !Equals(m.Tags["origin"], "cold")).Sum(m => m.Value));
        Assert.Equal(1, Assert.Single(meter.Of("hyperlight.sandboxes.deleted", name)).Value);
        Assert.Single(meter.Of("hyperlight.vm_exits", name));

        List<Measured> durations = meter.Of("hyperlight.call.duration", name);
        Assert.Equal(5, durations.Count);
        Assert.All(durations, d => Assert.True(d.Value > 0));
        Assert.Equal(4, durations.Count(d => Equals(d.Tags["hyperlight.function"], "Add")));
        Measured timedOut = durations.Single(d => d.Tags.ContainsKey("error.code"));
        Assert.Equal("Timeout", timedOut.Tags["error.code"]);
        Assert.True(timedOut.Value >= 0.020, $"{timedOut.Value} s");
        Assert.Single(meter.Of("hyperlight.sandbox.create.duration", name));
    }

    [Fact]
    public void DisposedEnginesDropOutAndTheDefaultEngineIsTagged()
    {
        using var meter = new HyperlightMeterListener();
        string name = Observe.UniqueEngineName();
        var engine = new Engine(new EngineOptions { Name = name });
        using (Sandbox sb = Sandbox.FromFile(TestGuests.Simple)) // the default engine
        {
            sb.Call("Add", 1, 2);
        }
        meter.Collect();
        Assert.Single(meter.Of("hyperlight.calls", name));
        Assert.True(Assert.Single(meter.Of("hyperlight.calls", HyperlightTelemetry.DefaultEngineName)).Value >= 1);

        engine.Dispose();
        meter.Measurements.Clear();
        meter.Collect();
        Assert.Empty(meter.Of("hyperlight.calls", name));
    }

    [Fact]
    public void ACallIsAnActivity()
    {
        string name = Observe.UniqueEngineName();
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HyperlightTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("engine"), name))
                {
                    stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var engine = new Engine(new EngineOptions { Name = name });
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { Engine = engine });
        string? currentInHostFunction = null;
        sb.Register("HostAdd", (int a, int b) =>
        {
            currentInHostFunction = Activity.Current?.OperationName;
            return a + b;
        });
        Assert.Equal(42, sb.Call<int>("AddViaHost", 40, 2));
        Assert.Equal(ErrorCode.Timeout, Observe.CodeOf(() => sb.Call("Spin", TimeSpan.FromMilliseconds(20))));

        Assert.Equal(2, stopped.Count);
        Activity ok = stopped.First();
        Assert.Equal(HyperlightTelemetry.CallActivityName, ok.OperationName);
        Assert.Equal(ActivityKind.Internal, ok.Kind);
        Assert.Equal(HyperlightTelemetry.Name, ok.Source.Name);
        Assert.Equal("AddViaHost", ok.GetTagItem("hyperlight.function"));
        Assert.Equal((long)sb.Id, ok.GetTagItem("hyperlight.sandbox.id"));
        Assert.True(Assert.IsType<long>(ok.GetTagItem("hyperlight.guest_cpu_ns")) > 0);
        Assert.Equal(1L, ok.GetTagItem("hyperlight.host_calls"));
        Assert.True(Assert.IsType<long>(ok.GetTagItem("hyperlight.vm_exits")) >= 2);
        Assert.Equal(ActivityStatusCode.Unset, ok.Status);
        Assert.Null(ok.GetTagItem("error.code"));
        Assert.Equal(HyperlightTelemetry.CallActivityName, currentInHostFunction); // host functions run inside it

        Activity failed = stopped.Last();
        Assert.Equal("Spin", failed.GetTagItem("hyperlight.function"));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.False(string.IsNullOrEmpty(failed.StatusDescription));
        Assert.Equal("Timeout", failed.GetTagItem("error.code"));
        Assert.True(failed.Duration >= TimeSpan.FromMilliseconds(20), $"{failed.Duration}");
    }

    [Fact]
    public void CallAndRestoreActivitiesCarryTheRestoredPages()
    {
        string name = Observe.UniqueEngineName();
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HyperlightTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("engine"), name))
                {
                    stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var engine = new Engine(new EngineOptions { Name = name });
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { Engine = engine });
        using Snapshot clean = sb.Snapshot();
        Assert.Equal(3, sb.CallAndRestore<int>(clean, "Add", 1, 2));
        Activity activity = Assert.Single(stopped);
        Assert.True(Assert.IsType<long>(activity.GetTagItem("hyperlight.pages_restored")) >= 1);
    }
}
