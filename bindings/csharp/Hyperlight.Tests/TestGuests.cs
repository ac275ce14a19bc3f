using System;
using System.IO;

namespace Hyperlight.Tests;

/// <summary>Paths of the test guests built into the repo's build directory.</summary>
internal static class TestGuests
{
    private static readonly Lazy<string> SimpleLazy = new(FindSimple);
    private static readonly Lazy<string> SdkLazy = new(FindSdk);
    private static readonly Lazy<string> ScribbleLazy = new(FindScribble);
    private static readonly Lazy<string> HostileLazy = new(FindHostile);

    /// <summary>build/tests/guests/simpleguest.elf, or $HYPERLIGHT_TEST_GUEST.</summary>
    internal static string Simple => SimpleLazy.Value;

    /// <summary>build/tests/guests/sdkguest.elf, or $HYPERLIGHT_TEST_SDK_GUEST (default: next to <see cref="Simple"/>).</summary>
    internal static string Sdk => SdkLazy.Value;

    /// <summary>
    /// build/tests/guests/scribbleguest.elf (keeps state between calls: CountCalls), or
    /// $HYPERLIGHT_TEST_SCRIBBLE_GUEST (default: next to <see cref="Simple"/>).
    /// </summary>
    internal static string Scribble => ScribbleLazy.Value;

    /// <summary>
    /// build/tests/guests/hostileguest.elf (its init data "spin-in-init" makes its initialisation
    /// spin forever), or $HYPERLIGHT_TEST_HOSTILE_GUEST (default: next to <see cref="Simple"/>).
    /// </summary>
    internal static string Hostile => HostileLazy.Value;

    // HYPERLIGHT_TEST_GUEST, else walk up from the test binaries to the repo's build directory.
    private static string FindSimple()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("HYPERLIGHT_TEST_GUEST");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "build", "tests", "guests", "simpleguest.elf");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException(
            "simpleguest.elf not found: set HYPERLIGHT_TEST_GUEST or build the repo into build/");
    }

    private static string FindSdk() => FindNextToSimple("sdkguest.elf", "HYPERLIGHT_TEST_SDK_GUEST");

    private static string FindScribble() => FindNextToSimple("scribbleguest.elf", "HYPERLIGHT_TEST_SCRIBBLE_GUEST");

    private static string FindHostile() => FindNextToSimple("hostileguest.elf", "HYPERLIGHT_TEST_HOSTILE_GUEST");

    private static string FindNextToSimple(string file, string variable)
    {
        string? fromEnv = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }
        string candidate = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Simple))!, file);
        if (File.Exists(candidate))
        {
            return candidate;
        }
        throw new FileNotFoundException(
            $"{candidate} not found: set {variable} or build the repo into build/");
    }
}
