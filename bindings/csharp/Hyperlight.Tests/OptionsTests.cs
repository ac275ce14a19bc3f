using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>SandboxOptions beyond heap and stack: buffer sizes, logging, init data.</summary>
public sealed class OptionsTests
{
    private sealed record LogRecord(LogLevel Level, string File, uint Line, string Message);

    private static SandboxOptions Logging(LogLevel level, List<LogRecord> records) => new()
    {
        MaxLogLevel = level,
        Logger = (lvl, file, line, message) =>
        {
            lock (records)
            {
                records.Add(new LogRecord(lvl, file, line, message));
            }
        },
    };

    // ------------------------------------------------------------ buffer sizes

    [Fact]
    public void SmallInputBufferRejectsLargeArguments()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { InputBufferSize = 4096 });
        Assert.Equal("fits", sb.Call<string>("Echo", "fits"));
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Echo", new string('x', 8000)));
        Assert.Equal(ErrorCode.TooLarge, e.Code);

        // The default (64 KiB) takes the same argument.
        using Sandbox big = Sandbox.FromFile(TestGuests.Simple);
        Assert.Equal(8000, big.Call<string>("Echo", new string('x', 8000)).Length);
    }

    [Fact]
    public void LargerInputBufferAcceptsLargerArguments()
    {
        string text = new('y', 100_000);
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple,
                                            new SandboxOptions { InputBufferSize = 256 << 10, OutputBufferSize = 256 << 10 });
        Assert.Equal(text, sb.Call<string>("Echo", text));
    }

    [Fact]
    public void SmallOutputBufferRejectsLargeResults()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { OutputBufferSize = 4096 });
        Assert.Equal("fits", sb.Call<string>("Echo", "fits"));
        var e = Assert.Throws<HyperlightException>(() => sb.Call("Echo", new string('x', 8000)));
        Assert.Equal(ErrorCode.TooLarge, e.Code);
    }

    [Fact]
    public void BufferSizesOutOfRangeAreRejected()
    {
        var e = Assert.Throws<HyperlightException>(() =>
            Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { InputBufferSize = 1UL << 40 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        e = Assert.Throws<HyperlightException>(() =>
            Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { OutputBufferSize = 1UL << 40 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    // ----------------------------------------------------------------- logging

    [Fact]
    public void LoggerReceivesRecordsUpToTheMaxLevel()
    {
        var records = new List<LogRecord>();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Sdk, Logging(LogLevel.Info, records));
        // The guest logs while it initialises, inside Sandbox.FromFile.
        LogRecord init = Assert.Single(records);
        Assert.Equal(LogLevel.Info, init.Level);
        Assert.Equal("sdkguest initialising", init.Message);
        records.Clear();

        sb.Call("LogAllLevels");
        Assert.Equal(new[] { LogLevel.Error, LogLevel.Warn, LogLevel.Info }, records.ConvertAll(r => r.Level));
        Assert.Equal(new[] { "error record 1", "warn record 2", "info record 3" },
                     records.ConvertAll(r => r.Message));
        Assert.All(records, r => Assert.EndsWith("sdkguest.c", r.File));
        Assert.All(records, r => Assert.True(r.Line > 0));
    }

    [Theory]
    [InlineData(LogLevel.Off)]
    [InlineData(LogLevel.Error)]
    [InlineData(LogLevel.Trace)]
    public void GuestSeesTheMaxLevel(LogLevel level)
    {
        var records = new List<LogRecord>();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Sdk, Logging(level, records));
        Assert.Equal((uint)level, sb.Call<uint>("MaxLogLevel"));
        records.Clear();
        sb.Call("LogAllLevels");
        Assert.Equal((int)level, records.Count);
    }

    [Fact]
    public void LogRecordCarriesFileLineAndUtf8Message()
    {
        var records = new List<LogRecord>();
        using Sandbox sb = Sandbox.FromFile(TestGuests.Sdk, Logging(LogLevel.Warn, records));
        int line = sb.Call<int>("LogLine");
        LogRecord record = Assert.Single(records);
        Assert.Equal(LogLevel.Warn, record.Level);
        Assert.Equal((uint)line, record.Line);
        Assert.EndsWith("sdkguest.c", record.File);
        Assert.Equal($"the line is {line}", record.Message);

        records.Clear();
        sb.Call("Log", (int)LogLevel.Error, "héllo ✓");
        record = Assert.Single(records);
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal("héllo ✓", record.Message);
    }

    [Fact]
    public void ThrowingLoggerIsSwallowed()
    {
        int seen = 0;
        var options = new SandboxOptions
        {
            MaxLogLevel = LogLevel.Trace,
            Logger = (_, _, _, _) =>
            {
                seen++;
                throw new InvalidOperationException("logger failed");
            },
        };
        using Sandbox sb = Sandbox.FromFile(TestGuests.Sdk, options);
        Assert.Equal(1, seen); // the initialisation record
        sb.Call("LogAllLevels");
        Assert.Equal(6, seen);
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));
    }

    [Fact]
    public void InvalidMaxLevelIsRejected()
    {
        var e = Assert.Throws<HyperlightException>(() =>
            Sandbox.FromFile(TestGuests.Sdk, new SandboxOptions { MaxLogLevel = (LogLevel)6 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void SandboxesFromOneOptionsObjectLogIndependently()
    {
        var records = new List<LogRecord>();
        SandboxOptions options = Logging(LogLevel.Error, records);
        Sandbox first = Sandbox.FromFile(TestGuests.Sdk, options);
        using Sandbox second = Sandbox.FromFile(TestGuests.Sdk, options);
        first.Call("Log", 1, "from first");
        first.Dispose(); // frees only the first sandbox's log state
        GC.Collect();
        GC.WaitForPendingFinalizers();
        second.Call("Log", 1, "from second");
        Assert.Equal(new[] { "from first", "from second" }, records.ConvertAll(r => r.Message));
    }

    [Fact]
    public void LoggerIsReleasedWithTheSandbox()
    {
        WeakReference weak = CreateLoggingSandbox(dispose: true);
        AssertCollected(weak, "Dispose did not free the logger's GCHandle");
    }

    [Fact]
    public void LoggerIsReleasedWhenAnUndisposedSandboxIsFinalized()
    {
        WeakReference weak = CreateLoggingSandbox(dispose: false);
        AssertCollected(weak, "the sandbox's finalizer did not free the logger's GCHandle");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CreateLoggingSandbox(bool dispose)
    {
        var records = new List<string>();
        Action<LogLevel, string, uint, string> logger = (_, _, _, message) => records.Add(message);
        var weak = new WeakReference(logger);
        Sandbox sb = Sandbox.FromFile(TestGuests.Sdk,
                                      new SandboxOptions { MaxLogLevel = LogLevel.Info, Logger = logger });
        sb.Call("Log", 1, "hello");
        Assert.Equal(new[] { "sdkguest initialising", "hello" }, records);
        if (dispose)
        {
            sb.Dispose();
        }
        return weak;
    }

    private static void AssertCollected(WeakReference weak, string message)
    {
        for (int i = 0; i < 10 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive, message);
    }

    // --------------------------------------------------------------- init data

    [Fact]
    public void GuestReadsTheInitData()
    {
        byte[] data = new byte[10_000];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7);
        }
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { InitData = data });
        Assert.Equal(data, sb.Call<byte[]>("GetInitData"));
    }

    [Fact]
    public void NoInitDataMeansEmpty()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple);
        Assert.Empty(sb.Call<byte[]>("GetInitData"));
        using Sandbox withOptions = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { InitData = Array.Empty<byte>() });
        Assert.Empty(withOptions.Call<byte[]>("GetInitData"));
    }

    [Fact]
    public void InitDataIsReadOnlyByDefault()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { InitData = new byte[] { 1, 2, 3 } });
        var e = Assert.Throws<HyperlightException>(() => sb.Call("WriteInitData"));
        Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);
    }

    [Fact]
    public void InitDataIsWritableWhenAsked()
    {
        var options = new SandboxOptions
        {
            InitData = new byte[] { 1, 2, 3 },
            InitDataFlags = MapFlags.Read | MapFlags.Write,
        };
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, options);
        Assert.Equal(0xEE, sb.Call<int>("WriteInitData"));
        Assert.Equal(new byte[] { 0xEE, 2, 3 }, sb.Call<byte[]>("GetInitData"));
        // Each sandbox has its own copy.
        using Sandbox other = Sandbox.FromFile(TestGuests.Simple, options);
        Assert.Equal(new byte[] { 1, 2, 3 }, other.Call<byte[]>("GetInitData"));
    }

    [Fact]
    public void UnknownInitDataFlagsAreRejected()
    {
        var e = Assert.Throws<HyperlightException>(() => Sandbox.FromFile(TestGuests.Simple,
            new SandboxOptions { InitData = new byte[] { 1 }, InitDataFlags = (MapFlags)0x80 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }
}
