using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Hyperlight;

/// <summary>
/// The .NET side of hl_config_set_log_callback: one per sandbox, rooted by a
/// GCHandle (the callback's user_data) that the sandbox's SafeHandle frees
/// after hl_sandbox_delete. Holds no reference to the sandbox.
/// </summary>
internal sealed unsafe class GuestLogSink
{
    private readonly Action<LogLevel, string, uint, string> _logger;

    internal GuestLogSink(Action<LogLevel, string, uint, string> logger)
    {
        _logger = logger;
    }

    internal static delegate* unmanaged[Cdecl]<IntPtr, uint, byte*, nuint, uint, byte*, nuint, void> CallbackPointer =>
        &Callback;

    /// <summary>
    /// The hl_log_fn_t trampoline. The strings are (pointer, length) UTF-8
    /// from the guest, valid only during the call: they are decoded into .NET
    /// strings (invalid sequences become U+FFFD). No exception leaves it.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Callback(IntPtr userData, uint level, byte* file, nuint fileLen, uint line, byte* message,
                                 nuint messageLen)
    {
        try
        {
            var self = (GuestLogSink)GCHandle.FromIntPtr(userData).Target!;
            self._logger((LogLevel)level, Decode(file, fileLen), line, Decode(message, messageLen));
        }
        catch
        {
            // A throwing logger must not unwind into native code; the record is dropped.
        }
    }

    private static string Decode(byte* ptr, nuint len) =>
        ptr == null || len == 0 ? string.Empty : Encoding.UTF8.GetString(ptr, checked((int)len));
}
