using System;
using System.Runtime.InteropServices;

namespace Hyperlight;

/// <summary>
/// Host functions that many sandboxes share (hl_host_functions_t): name the set
/// in <see cref="SandboxOptions.HostFunctions"/> and every sandbox created with
/// those options (<see cref="Sandbox.FromFile"/>, <see cref="Sandbox.FromBytes"/>,
/// <see cref="Sandbox.FromSnapshot"/>) can call its functions, from the guest's
/// initialisation on. The functions are registered once for all of them.
/// </summary>
/// <remarks>
/// <para>
/// A set can change only until the first sandbox is created with it (also one
/// whose creation fails); then it is frozen and <see cref="Add(string, Delegate)"/>
/// throws <see cref="ErrorCode.HostFunctionsFrozen"/>: make a new set for other
/// functions. Each sandbox may still <see cref="Sandbox.Register(string, Delegate)"/>
/// functions of other names for itself.
/// </para>
/// <para>
/// <see cref="Sandbox.FromSnapshot"/> with a set checks at once that the set has
/// every host function registered on the sandbox the snapshot was taken from,
/// with the same signature, and throws <see cref="ErrorCode.SnapshotMismatch"/>
/// naming the first it lacks. Without a set nothing is checked at creation.
/// </para>
/// <para>
/// The library counts references to a set: every sandbox created with it holds
/// one, so it may be disposed while they live; the delegates are released when
/// the last of them is disposed too. Thread-safe: a set may be used from any
/// number of threads at once, and its functions may run on several threads at
/// once (one per sandbox in a call).
/// </para>
/// </remarks>
public sealed unsafe class HostFunctions : IDisposable
{
    private readonly HostFunctionsSafeHandle _handle;

    /// <summary>Makes an empty set (hl_host_functions_new).</summary>
    public HostFunctions()
    {
        IntPtr err = NativeMethods.hl_host_functions_new(out HostFunctionsSafeHandle handle);
        if (err != IntPtr.Zero)
        {
            handle.Dispose();
            HyperlightException.ThrowIfError(err);
        }
        _handle = handle;
    }

    /// <summary>
    /// Adds a host function the guests of sandboxes created with this set can
    /// call by name. The signature is read from the delegate type, as
    /// <see cref="Sandbox.Register(string, Delegate)"/> does, and failures are
    /// reported the same way: if a guest call fails with
    /// <see cref="ErrorCode.HostFunctionFailed"/>, the exception the delegate
    /// threw on that call's thread is its <see cref="Exception.InnerException"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The delegate has an unsupported parameter or return type.</exception>
    /// <exception cref="HyperlightException"><see cref="ErrorCode.AlreadyRegistered"/> (the set has the name),
    /// <see cref="ErrorCode.HostFunctionsFrozen"/> (a sandbox was created with the set).</exception>
    /// <exception cref="ObjectDisposedException">The set was disposed.</exception>
    public void Add(string name, Delegate fn)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fn);
        HostFunctionsSafeHandle handle = GetHandle();
        // Finalized when the set's last holder goes.
        HostFunction.HandOver(name, fn, errors: null, (kinds, count, returnKind, state) =>
            NativeMethods.hl_host_functions_add(handle, name, kinds, count, returnKind, HostFunction.CallbackPointer,
                                                state, HostFunction.FinalizerPointer));
    }

    /// <summary>Adds a host function with no parameters and no result.</summary>
    public void Add(string name, Action fn) => Add(name, (Delegate)fn);

    /// <summary>Adds a host function with one parameter and no result.</summary>
    public void Add<T1>(string name, Action<T1> fn) => Add(name, (Delegate)fn);

    /// <summary>Adds a host function with two parameters and no result.</summary>
    public void Add<T1, T2>(string name, Action<T1, T2> fn) => Add(name, (Delegate)fn);

    /// <summary>Adds a host function with no parameters.</summary>
    public void Add<TResult>(string name, Func<TResult> fn) => Add(name, (Delegate)fn);

    /// <summary>Adds a host function with one parameter.</summary>
    public void Add<T1, TResult>(string name, Func<T1, TResult> fn) => Add(name, (Delegate)fn);

    /// <summary>Adds a host function with two parameters.</summary>
    public void Add<T1, T2, TResult>(string name, Func<T1, T2, TResult> fn) => Add(name, (Delegate)fn);

    /// <summary>Adds a host function with three parameters.</summary>
    public void Add<T1, T2, T3, TResult>(string name, Func<T1, T2, T3, TResult> fn) => Add(name, (Delegate)fn);

    /// <summary>
    /// Drops this object's reference to the set (hl_host_functions_delete).
    /// Sandboxes created with it keep theirs, and its functions with them.
    /// Safe to call more than once.
    /// </summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>The handle, for a config that takes a reference of its own.</summary>
    /// <exception cref="ObjectDisposedException">The set was disposed.</exception>
    internal HostFunctionsSafeHandle GetHandle()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return _handle;
    }
}
