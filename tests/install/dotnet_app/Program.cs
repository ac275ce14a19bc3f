// Calls a guest function, and a guest function that calls back into a .NET
// host function, and prints what came back and which native library ran.
//   dotnet HyperlightApp.dll GUEST.elf
using System;
using System.IO;
using System.Linq;
using Hyperlight;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: HyperlightApp GUEST.elf   (for example build/tests/guests/simpleguest.elf)");
    return 2;
}

try
{
    using Sandbox sb = Sandbox.FromFile(args[0]);
    sb.Register("HostAdd", (Func<int, int, int>)((a, b) => a + b));
    int sum = sb.Call<int>("Add", 40, 2);
    int viaHost = sb.Call<int>("AddViaHost", 100, 23);
    string echo = sb.Call<string>("Echo", "hello from dotnet");

    Console.WriteLine($"version: {HyperlightLibrary.VersionString} (bindings {AbiInfo.VersionString})");
    Console.WriteLine($"Add(40, 2) = {sum}");
    Console.WriteLine($"AddViaHost(100, 23) = {viaHost}");
    Console.WriteLine($"Echo = {echo}");
    Console.WriteLine($"library: {LoadedLibrary()}");
    return 0;
}
catch (HyperlightException e)
{
    Console.Error.WriteLine($"HyperlightApp: {e.Code}: {e.Message}");
    return 1;
}

// The libhyperlight file the process mapped, to show which copy it runs.
static string LoadedLibrary()
{
    string? line = File.ReadLines("/proc/self/maps").FirstOrDefault(l => l.Contains("/libhyperlight.so"));
    return line is null ? "not mapped" : line.Substring(line.IndexOf('/'));
}
