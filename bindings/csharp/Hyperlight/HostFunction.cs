using System;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Hyperlight;

/// <summary>
/// Per-sandbox record of the last exception thrown by a .NET host function,
/// so the guest call that triggered it can surface it as InnerException.
/// Deliberately holds no reference to the sandbox: host function state is
/// rooted by a GCHandle until hl_sandbox_delete, and must not keep the
/// sandbox's SafeHandle alive (or its finalizer could never run).
/// </summary>
internal sealed class HostErrorSlot
{
    internal Exception? LastException;

    [ThreadStatic]
    private static HostErrorSlot? t_thisThread;

    /// <summary>
    /// The slot of functions in a <see cref="HostFunctions"/> set, which many
    /// sandboxes share: a host function runs on the thread that called its
    /// sandbox, so that thread's slot reaches the right call.
    /// </summary>
    internal static HostErrorSlot ThisThread => t_thisThread ??= new HostErrorSlot();
}

/// <summary>
/// A registered host function: the user's delegate, its signature as value
/// kinds, and the native trampolines that call it.
/// </summary>
internal sealed unsafe class HostFunction
{
    private readonly string _name;
    private readonly Delegate _fn;
    private readonly ValKind _returnKind;
    private readonly int _paramCount;
    private readonly HostErrorSlot? _errors; // null: HostErrorSlot.ThisThread

    private HostFunction(string name, Delegate fn, ValKind returnKind, int paramCount, HostErrorSlot? errors)
    {
        _name = name;
        _fn = fn;
        _returnKind = returnKind;
        _paramCount = paramCount;
        _errors = errors;
    }

    /// <summary>
    /// Reads the delegate's signature (its Invoke method) and maps it to value
    /// kinds; throws ArgumentException for unsupported types.
    /// </summary>
    internal static HostFunction Create(string name, Delegate fn, HostErrorSlot? errors, out ValKind[] paramKinds,
                                        out ValKind returnKind)
    {
        MethodInfo invoke = fn.GetType().GetMethod("Invoke")
            ?? throw new ArgumentException("the delegate has no Invoke method", nameof(fn));
        ParameterInfo[] parameters = invoke.GetParameters();
        paramKinds = new ValKind[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            Type type = parameters[i].ParameterType;
            if (type.IsByRef)
            {
                throw new ArgumentException(
                    $"host function '{name}': parameter '{parameters[i].Name}' is ref/out/in, which is not supported",
                    nameof(fn));
            }
            paramKinds[i] = ValueMarshaller.KindOf(type) ?? throw new ArgumentException(
                $"host function '{name}': parameter '{parameters[i].Name}' has unsupported type {type}; " +
                $"supported: {ValueMarshaller.SupportedTypes}", nameof(fn));
        }
        Type ret = invoke.ReturnType;
        if (ret == typeof(void))
        {
            returnKind = ValKind.Void;
        }
        else
        {
            returnKind = ValueMarshaller.KindOf(ret) ?? throw new ArgumentException(
                $"host function '{name}': unsupported return type {ret}; supported: void, " +
                ValueMarshaller.SupportedTypes, nameof(fn));
        }
        return new HostFunction(name, fn, returnKind, parameters.Length, errors);
    }

    /// <summary>
    /// The native call that takes a host function (hl_register or
    /// hl_host_functions_add) with its kinds and its state handle; the
    /// callback and finalizer trampolines are the ones below.
    /// </summary>
    internal delegate IntPtr NativeAdd(byte* kinds, nuint count, byte returnKind, IntPtr state);

    /// <summary>
    /// Makes fn a host function and gives it to hyperlight through add.
    /// The GCHandle keeps the delegate alive until hyperlight calls the
    /// finalizer trampoline: when it lets go of the function, or right away
    /// on failure.
    /// </summary>
    internal static void HandOver(string name, Delegate fn, HostErrorSlot? errors, NativeAdd add)
    {
        HostFunction hostFunction = Create(name, fn, errors, out ValKind[] paramKinds, out ValKind returnKind);
        byte[] kinds = new byte[paramKinds.Length];
        for (int i = 0; i < kinds.Length; i++)
        {
            kinds[i] = (byte)paramKinds[i];
        }
        GCHandle state = GCHandle.Alloc(hostFunction);
        IntPtr err;
        try
        {
            fixed (byte* pKinds = kinds)
            {
                err = add(pKinds, (nuint)kinds.Length, (byte)returnKind, GCHandle.ToIntPtr(state));
            }
        }
        catch
        {
            // add threw before hyperlight took the handle (a handle disposed
            // by another thread, say): nobody else will free it.
            state.Free();
            throw;
        }
        HyperlightException.ThrowIfError(err);
    }

    internal static delegate* unmanaged[Cdecl]<IntPtr, HlVal*, nuint, HlVal*, IntPtr> CallbackPointer => &Callback;

    internal static delegate* unmanaged[Cdecl]<IntPtr, void> FinalizerPointer => &Finalizer;

    /// <summary>
    /// The hl_host_fn_t trampoline. No exception leaves it: a failure becomes
    /// an hl_error_new(message) for the guest, and the original exception is
    /// kept for the host call that triggered it.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static IntPtr Callback(IntPtr userData, HlVal* args, nuint nargs, HlVal* result)
    {
        HostFunction? self = null;
        try
        {
            self = (HostFunction)GCHandle.FromIntPtr(userData).Target!;
            return self.Invoke(args, nargs, result);
        }
        catch (Exception e)
        {
            if (self != null)
            {
                (self._errors ?? HostErrorSlot.ThisThread).LastException = e;
            }
            return NewError(e.Message);
        }
    }

    /// <summary>The hl_finalizer_t trampoline: frees the GCHandle (hyperlight calls it exactly once).</summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Finalizer(IntPtr userData)
    {
        try
        {
            GCHandle.FromIntPtr(userData).Free();
        }
        catch
        {
            // Nothing may cross into native code.
        }
    }

    private IntPtr Invoke(HlVal* args, nuint nargs, HlVal* result)
    {
        if (nargs != (nuint)_paramCount)
        {
            // hyperlight checks the count before calling; this is a guard only.
            throw new InvalidOperationException($"host function '{_name}' takes {_paramCount} arguments, got {nargs}");
        }
        // Copy every argument into managed memory: args is valid only during this callback.
        var managedArgs = new object?[_paramCount];
        for (int i = 0; i < _paramCount; i++)
        {
            managedArgs[i] = ValueMarshaller.FromNative(in args[i]);
        }
        object? value;
        try
        {
            value = _fn.DynamicInvoke(managedArgs);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            // Rethrow what the user's code threw, not the reflection wrapper.
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw; // unreachable
        }
        ValueMarshaller.SetResult(result, _returnKind, value);
        return IntPtr.Zero;
    }

    private static IntPtr NewError(string? message)
    {
        try
        {
            // NUL-terminated UTF-8; an embedded NUL would end the message early, so replace it.
            string text = (message ?? string.Empty).Replace('\0', ' ');
            byte[] utf8 = new byte[Encoding.UTF8.GetByteCount(text) + 1];
            Encoding.UTF8.GetBytes(text, 0, text.Length, utf8, 0);
            fixed (byte* p = utf8)
            {
                return NativeMethods.hl_error_new(p);
            }
        }
        catch
        {
            // Out of memory while reporting an error: hl_error_new(NULL) means "".
            return NativeMethods.hl_error_new(null);
        }
    }
}
