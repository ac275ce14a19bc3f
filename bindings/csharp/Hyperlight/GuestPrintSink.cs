using System;
using System.Buffers;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Hyperlight;

/// <summary>
/// The .NET side of hl_config_set_print_callback: one per sandbox, rooted by a
/// GCHandle (the callback's user_data) that the sandbox's SafeHandle frees
/// after hl_sandbox_delete, like <see cref="GuestLogSink"/>. Decodes the
/// guest's UTF-8 with a stateful decoder, so a character split between two
/// prints comes out whole; the sandbox ends each call (and its creation) with
/// <see cref="EndOfOutput"/>, so bytes of a character cut off by the print
/// limit become U+FFFD there rather than leak into the next call's output.
/// Only the thread in the sandbox's call uses it.
/// </summary>
internal sealed unsafe class GuestPrintSink
{
    private const int StackChars = 256;

    private readonly TextWriter _writer;

    // Replaces invalid sequences with U+FFFD (the default fallback).
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();

    internal GuestPrintSink(TextWriter writer)
    {
        _writer = writer;
    }

    internal static delegate* unmanaged[Cdecl]<IntPtr, byte*, nuint, void> CallbackPointer => &Callback;

    /// <summary>
    /// The hl_print_fn_t trampoline. The text is guest bytes, valid only
    /// during the call. No exception leaves it: a throwing writer loses that
    /// text.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Callback(IntPtr userData, byte* text, nuint len)
    {
        try
        {
            var self = (GuestPrintSink)GCHandle.FromIntPtr(userData).Target!;
            self.Write(new ReadOnlySpan<byte>(text, checked((int)len)), flush: false);
        }
        catch
        {
            // Must not unwind into native code.
        }
    }

    /// <summary>Writes out what the decoder still holds (an incomplete character, as U+FFFD).</summary>
    internal void EndOfOutput()
    {
        try
        {
            Write(ReadOnlySpan<byte>.Empty, flush: true);
        }
        catch
        {
            // As in the callback: the writer's failure is not the call's.
        }
    }

    private void Write(ReadOnlySpan<byte> bytes, bool flush)
    {
        int count = _decoder.GetCharCount(bytes, flush);
        if (count == 0)
        {
            if (flush)
            {
                _decoder.Reset();
            }
            return;
        }
        char[]? rented = null;
        Span<char> chars = count <= StackChars
            ? stackalloc char[StackChars]
            : (rented = ArrayPool<char>.Shared.Rent(count));
        try
        {
            int written = _decoder.GetChars(bytes, chars, flush);
            _writer.Write(chars[..written]);
        }
        finally
        {
            if (rented != null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
