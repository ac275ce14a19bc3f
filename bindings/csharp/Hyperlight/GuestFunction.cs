using System;
using System.Collections.Generic;
using System.Text;

namespace Hyperlight;

/// <summary>
/// One function of a guest's function table: what a call is checked against
/// before the guest is entered.
/// </summary>
public sealed class GuestFunction
{
    internal GuestFunction(string name, IReadOnlyList<ValKind> parameters, ValKind result)
    {
        Name = name;
        Parameters = parameters;
        Result = result;
    }

    /// <summary>
    /// The name to call it by. It comes from the guest: treat it as untrusted
    /// text (bytes that are not valid UTF-8 read as U+FFFD).
    /// </summary>
    public string Name { get; }

    /// <summary>The parameter kinds, in order (never <see cref="ValKind.Void"/>).</summary>
    public IReadOnlyList<ValKind> Parameters { get; }

    /// <summary>The result kind; <see cref="ValKind.Void"/> for a function that returns nothing.</summary>
    public ValKind Result { get; }

    /// <summary>The signature, such as "I32 Add(I32, I32)".</summary>
    public override string ToString() => $"{Result} {Name}({string.Join(", ", Parameters)})";
}

/// <summary>
/// What a guest declared about its functions when it started: the table
/// (in byte order of the names) and its <see cref="GuestTableFlags"/>.
/// </summary>
public sealed class GuestFunctionTable
{
    internal GuestFunctionTable(GuestTableFlags flags, IReadOnlyList<GuestFunction> functions)
    {
        Flags = flags;
        Functions = functions;
    }

    /// <summary>
    /// <see cref="GuestTableFlags.Declared"/> if the guest sent a table (without
    /// it, <see cref="Functions"/> is empty and the guest checks calls itself);
    /// <see cref="GuestTableFlags.Fallback"/> if calls to other names go to its fallback.
    /// </summary>
    public GuestTableFlags Flags { get; }

    /// <summary>The functions, in byte order of their names.</summary>
    public IReadOnlyList<GuestFunction> Functions { get; }

    /// <summary>Whether the guest sent a function table.</summary>
    public bool Declared => (Flags & GuestTableFlags.Declared) != 0;

    /// <summary>Whether the guest has a fallback for names not in the table.</summary>
    public bool HasFallback => (Flags & GuestTableFlags.Fallback) != 0;
}

public sealed unsafe partial class Sandbox
{
    /// <summary>
    /// The functions the guest declared in its function table when it started
    /// (for a sandbox made from or restored to a snapshot: when the snapshot's
    /// guest started). Guests built with the guest SDK declare one unless it
    /// does not fit <see cref="SandboxOptions.OutputBufferSize"/>. The result
    /// is a copy: later restores do not change it.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The sandbox was disposed.</exception>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.Busy"/> while a call,
    /// <see cref="Snapshot"/> or <see cref="Restore"/> runs (a restore may replace the table).</exception>
    public GuestFunctionTable GetGuestFunctions()
    {
        ThrowIfDisposed();
        EnterExclusive("hl_sandbox_guest_function_count");
        try
        {
            HyperlightException.ThrowIfError(
                NativeMethods.hl_sandbox_guest_function_count(_handle, out nuint count, out uint flags));
            var functions = new GuestFunction[checked((int)count)];
            for (nuint i = 0; i < count; i++)
            {
                HyperlightException.ThrowIfError(NativeMethods.hl_sandbox_guest_function(
                    _handle, i, out byte* name, out nuint nameLen, out byte result, out byte* kinds,
                    out nuint nparams));
                var parameters = new ValKind[checked((int)nparams)];
                for (int p = 0; p < parameters.Length; p++)
                {
                    parameters[p] = (ValKind)kinds[p];
                }
                string text = Encoding.UTF8.GetString(name, checked((int)nameLen));
                functions[(int)i] = new GuestFunction(text, Array.AsReadOnly(parameters), (ValKind)result);
            }
            return new GuestFunctionTable((GuestTableFlags)flags, Array.AsReadOnly(functions));
        }
        finally
        {
            ExitExclusive();
        }
    }
}
