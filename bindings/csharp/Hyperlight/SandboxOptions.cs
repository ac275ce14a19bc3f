namespace Hyperlight;

/// <summary>Sandbox settings; null properties keep the library's defaults.</summary>
public sealed class SandboxOptions
{
    /// <summary>Guest heap size in bytes (rounded up to 4 KiB; 64 KiB to 1 GiB). Default 4 MiB.</summary>
    public ulong? HeapSize { get; set; }

    /// <summary>Guest stack size in bytes (rounded up to 4 KiB; 16 KiB to 256 MiB). Default 256 KiB.</summary>
    public ulong? StackSize { get; set; }
}
