using System;
using System.Linq;
using System.Text;
using Xunit;

namespace Hyperlight.Tests;

/// <summary>The guest's function table: <see cref="Sandbox.GetGuestFunctions"/>.</summary>
public sealed class GuestFunctionTests
{
    [Fact]
    public void ListsTheSimpleGuestsFunctionsWithTheirKinds()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple);
        GuestFunctionTable table = sb.GetGuestFunctions();
        Assert.True(table.Declared);
        Assert.False(table.HasFallback);
        Assert.Equal(GuestTableFlags.Declared, table.Flags);
        Assert.Equal(22, table.Functions.Count);
        string[] names = table.Functions.Select(f => f.Name).ToArray();
        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), names);

        GuestFunction add = table.Functions.Single(f => f.Name == "Add");
        Assert.Equal(ValKind.I32, add.Result);
        Assert.Equal(new[] { ValKind.I32, ValKind.I32 }, add.Parameters);
        Assert.Equal("I32 Add(I32, I32)", add.ToString());
        GuestFunction spin = table.Functions.Single(f => f.Name == "Spin");
        Assert.Equal(ValKind.Void, spin.Result);
        Assert.Empty(spin.Parameters);
        Assert.Equal(42, sb.Call<int>(add.Name, 40, 2));
    }

    [Fact]
    public void ReportsTheFallback()
    {
        using Sandbox sb = Sandbox.FromFile(TestGuests.Sdk);
        GuestFunctionTable table = sb.GetGuestFunctions();
        Assert.Equal(GuestTableFlags.Declared | GuestTableFlags.Fallback, table.Flags);
        Assert.True(table.HasFallback);
        Assert.Equal(11, table.Functions.Single(f => f.Name == "AllTypes").Parameters.Count);
    }

    [Fact]
    public void AGuestWithoutATableDeclaresNothing()
    {
        // simpleguest's "many-functions" table does not fit the default output
        // buffer, so the guest declares none; a larger buffer carries it.
        byte[] init = Encoding.ASCII.GetBytes("many-functions");
        using Sandbox sb = Sandbox.FromFile(TestGuests.Simple, new SandboxOptions { InitData = init });
        GuestFunctionTable table = sb.GetGuestFunctions();
        Assert.False(table.Declared);
        Assert.Empty(table.Functions);
        Assert.Equal(42, sb.Call<int>("Add", 40, 2)); // the guest checks its calls itself

        using Sandbox big = Sandbox.FromFile(TestGuests.Simple,
                                             new SandboxOptions { InitData = init, OutputBufferSize = 1 << 20 });
        GuestFunctionTable all = big.GetGuestFunctions();
        Assert.True(all.Declared);
        Assert.Equal(322, all.Functions.Count);
        Assert.Equal(300, all.Functions.Count(f => f.Name.StartsWith("Filler", StringComparison.Ordinal) &&
                                                   f.Name.Length == 250));
    }

    [Fact]
    public void BusyDuringACallAndDisposedAfterDispose()
    {
        Sandbox sb = Sandbox.FromFile(TestGuests.Simple);
        ErrorCode? seen = null;
        sb.Register("HostAdd", (int a, int b) =>
        {
            seen = Assert.Throws<HyperlightException>(() => sb.GetGuestFunctions()).Code;
            return a + b;
        });
        Assert.Equal(3, sb.Call<int>("AddViaHost", 1, 2));
        Assert.Equal(ErrorCode.Busy, seen);
        Assert.Equal(22, sb.GetGuestFunctions().Functions.Count);
        sb.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sb.GetGuestFunctions());
    }
}
