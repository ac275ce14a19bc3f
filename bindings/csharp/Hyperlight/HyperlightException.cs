using System;
using System.Runtime.InteropServices;

namespace Hyperlight;

/// <summary>
/// An error reported by the hyperlight library: a stable <see cref="ErrorCode"/>
/// and the library's message. When a host function registered from .NET threw,
/// the call that triggered it fails with <see cref="ErrorCode.HostFunctionFailed"/>
/// and <see cref="Exception.InnerException"/> is the exception the host function threw.
/// </summary>
public sealed class HyperlightException : Exception
{
    /// <summary>Creates an exception with a code and a message.</summary>
    public HyperlightException(ErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Creates an exception with a code, a message and the exception that caused it.</summary>
    public HyperlightException(ErrorCode code, string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>The stable error code (HL_ERROR_*).</summary>
    public ErrorCode Code { get; }

    /// <summary>
    /// What the failed call cost, when it was made by an overload that returns
    /// <see cref="CallStats"/> (for example how much guest CPU time a call
    /// stopped with <see cref="ErrorCode.CpuBudgetExceeded"/> used); otherwise null.
    /// </summary>
    public CallStats? Stats { get; internal set; }

    /// <summary>
    /// Converts a native hl_error_t* (code and message) and frees it with
    /// hl_error_delete. Returns null for a NULL pointer (success).
    /// <paramref name="hostFunctionException"/> becomes the InnerException
    /// when the code is <see cref="ErrorCode.HostFunctionFailed"/>.
    /// </summary>
    internal static unsafe HyperlightException? FromNative(IntPtr error, Exception? hostFunctionException = null)
    {
        if (error == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            var code = (ErrorCode)NativeMethods.hl_error_code(error);
            string message = Marshal.PtrToStringUTF8((IntPtr)NativeMethods.hl_error_message(error)) ?? string.Empty;
            Exception? inner = code == ErrorCode.HostFunctionFailed ? hostFunctionException : null;
            return new HyperlightException(code, message, inner);
        }
        finally
        {
            NativeMethods.hl_error_delete(error);
        }
    }

    /// <summary>Throws (after freeing it) if error is not NULL.</summary>
    internal static void ThrowIfError(IntPtr error)
    {
        HyperlightException? exception = FromNative(error);
        if (exception != null)
        {
            throw exception;
        }
    }
}
