using System.Runtime.InteropServices;

namespace Hyperlight;

/// <summary>Facts about the loaded native library.</summary>
public static unsafe class HyperlightLibrary
{
    /// <summary>hl_version() of the loaded library: (major &lt;&lt; 16) | (minor &lt;&lt; 8) | patch.
    /// Compare with <see cref="AbiInfo.Version"/>.</summary>
    public static uint Version => NativeMethods.hl_version();

    /// <summary>hl_version_string() of the loaded library, for example "0.1.0".</summary>
    public static string VersionString =>
        Marshal.PtrToStringUTF8((System.IntPtr)NativeMethods.hl_version_string()) ?? string.Empty;
}
