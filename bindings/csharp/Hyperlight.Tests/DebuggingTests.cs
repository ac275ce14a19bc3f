using System;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>Debugging options: crash dumps on faults and on demand, the gdb port.</summary>
public sealed class DebuggingTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("hl-cs-debug-");

    public void Dispose() => _temp.Delete(recursive: true);

    private string NewDirectory(string name) => Directory.CreateDirectory(Path.Combine(_temp.FullName, name)).FullName;

    /// <summary>Asserts that the file is an ELF core: "\x7fELF" and e_type ET_CORE (4).</summary>
    private static byte[] AssertCoreFile(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        Assert.True(data.Length >= 64, $"{path} is only {data.Length} bytes");
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, data[..4]);
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(16, 2)));
        return data;
    }

    /// <summary>The PATH of " (core dump: PATH)" in the message.</summary>
    private static string CoreDumpPath(string message)
    {
        const string marker = " (core dump: ";
        int start = message.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{marker}' in '{message}'");
        start += marker.Length;
        int end = message.IndexOf(')', start);
        Assert.True(end >= 0, $"unterminated '{marker}' in '{message}'");
        return message[start..end];
    }

    /// <summary>Makes the guest write to NULL; the failed call must have written a core into the directory.</summary>
    private static void AssertFaultWritesCoreInto(Sandbox sb, string directory)
    {
        var e = Assert.Throws<HyperlightException>(() => sb.Call("WriteAddress", 0L));
        Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);
        string path = CoreDumpPath(e.Message);
        Assert.Equal(directory, Path.GetDirectoryName(path));
        AssertCoreFile(path);
        Assert.Equal(new[] { path }, Directory.GetFiles(directory));
        Assert.Equal(SandboxStatus.Poisoned, sb.Status);
    }

    // -------------------------------------------------------------- crash dumps

    [Fact]
    public void CrashdumpDirectoryGetsACoreOnAFault()
    {
        string directory = NewDirectory("dumps");
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { CrashdumpDirectory = directory });
        Assert.Equal(3, sb.Call<int>("Add", 1, 2));
        AssertFaultWritesCoreInto(sb, directory);

        // Crashdump works on the poisoned sandbox too.
        string after = Path.Combine(_temp.FullName, "after.core");
        sb.Crashdump(after);
        AssertCoreFile(after);
    }

    [Fact]
    public void CrashdumpDirectoryAppliesToSandboxesFromSnapshots()
    {
        using Sandbox original = Sandbox.FromFile(TestGuests.Simple);
        using Snapshot snap = original.Snapshot();
        string directory = NewDirectory("dumps");
        using Sandbox sb = Sandbox.FromSnapshot(snap, new SandboxOptions { CrashdumpDirectory = directory });
        AssertFaultWritesCoreInto(sb, directory);
    }

    [Fact]
    public void EmptyCrashdumpDirectoryWritesNoCore()
    {
        // "" turns crash dumps off, whatever HYPERLIGHT_CRASHDUMP_DIR says.
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { CrashdumpDirectory = "" });
        var e = Assert.Throws<HyperlightException>(() => sb.Call("WriteAddress", 0L));
        Assert.Equal(ErrorCode.MemoryAccessViolation, e.Code);
        Assert.DoesNotContain("core dump", e.Message);
    }

    [Fact]
    public void CrashdumpDirectoryWithANulIsRejected()
    {
        var options = new SandboxOptions();
        Assert.Throws<ArgumentException>(() => options.CrashdumpDirectory = "a\0b");
        Assert.Null(options.CrashdumpDirectory);
    }

    [Fact]
    public void CrashdumpWritesACore()
    {
        Sandbox sb = Sandbox.FromFile(TestGuests.Simple);
        Assert.Equal("hello", sb.Call<string>("Echo", "hello"));
        string path = Path.Combine(_temp.FullName, "now.core");
        sb.Crashdump(path);
        byte[] core = AssertCoreFile(path);
        // The sandbox goes on working.
        Assert.Equal(42, sb.Call<int>("Add", 40, 2));

        // An existing path is never overwritten.
        var e = Assert.Throws<HyperlightException>(() => sb.Crashdump(path));
        Assert.Equal(ErrorCode.Io, e.Code);
        Assert.Contains(path, e.Message);
        Assert.Equal(core, File.ReadAllBytes(path));

        Assert.Throws<ArgumentException>(() => sb.Crashdump("bad\0path"));
        Assert.Throws<ArgumentNullException>(() => sb.Crashdump(null!));
        sb.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sb.Crashdump(Path.Combine(_temp.FullName, "disposed.core")));
    }

    [Fact]
    public void CrashdumpDuringACallIsBusy()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple);
        string path = Path.Combine(_temp.FullName, "busy.core");
        HyperlightException? inner = null;
        sb.Register("HostAdd", (Func<int, int, int>)((a, b) =>
        {
            inner = Assert.Throws<HyperlightException>(() => sb.Crashdump(path));
            return a + b;
        }));
        Assert.Equal(3, sb.Call<int>("AddViaHost", 1, 2));
        Assert.NotNull(inner);
        Assert.Equal(ErrorCode.Busy, inner!.Code);
        Assert.False(File.Exists(path));
    }

    // ------------------------------------------------------------------ gdb port

    /// <summary>Runs create, failing if it has not returned after a minute (it would be waiting for gdb).</summary>
    private static async Task<HyperlightException> CreationFails(Func<Sandbox> create)
    {
        Task<Sandbox> task = Task.Run(create);
        Task first = await Task.WhenAny(task, Task.Delay(TimeSpan.FromMinutes(1)));
        Assert.True(first == task, "the sandbox listened on a port in use and waits for gdb");
        return await Assert.ThrowsAsync<HyperlightException>(() => task);
    }

    [Fact]
    public async Task GdbPortInUseFailsCreation()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var options = new SandboxOptions { GdbPort = (ushort)port };

        HyperlightException e = await CreationFails(() => Sandbox.FromFile(TestGuests.Simple, options));
        Assert.Equal(ErrorCode.Debugger, e.Code);
        Assert.Contains($"127.0.0.1:{port}", e.Message);

        using Sandbox original = Sandbox.FromFile(TestGuests.Simple);
        using Snapshot snap = original.Snapshot();
        e = await CreationFails(() => Sandbox.FromSnapshot(snap, options));
        Assert.Equal(ErrorCode.Debugger, e.Code);
    }
}
