using System;
using Hyperlight;

namespace PeerBench;

/// <summary>
/// Hyperlight's side: a sandbox of scribbleguest.elf and one of lua.elf, each
/// with a snapshot taken right after creation. A "fresh" request is
/// <c>CallAndRestore</c>: the call, then the sandbox put back to the snapshot,
/// so the next request finds the state the first one found.
/// </summary>
internal sealed class HyperlightRequests : IDisposable
{
    /// <summary>The heap of the scribbleguest sandbox: the C++ bench's default (BM_CallAndRestoreTouch/N/16).</summary>
    public const ulong ScribbleHeapBytes = 16UL << 20;

    private readonly Sandbox _scribble;
    private readonly Snapshot _scribbleSnapshot;
    private readonly Sandbox? _lua;
    private readonly Snapshot? _luaSnapshot;

    // The arguments made once: the binding takes them as object[], and
    // boxing them per request would time the .NET allocator, not the call.
    private readonly object[] _addArguments = { 40, 2 };
    private readonly object[][] _touchArguments;
    private readonly object[] _scriptArguments;

    public HyperlightRequests(string scribbleGuest, string? luaGuest, string luaScript, int[] touchPages)
    {
        _scribble = Sandbox.FromFile(scribbleGuest, new SandboxOptions { HeapSize = ScribbleHeapBytes });
        _scribbleSnapshot = _scribble.Snapshot();
        if (luaGuest != null)
        {
            _lua = Sandbox.FromFile(luaGuest);
            _luaSnapshot = _lua.Snapshot();
        }
        _touchArguments = Array.ConvertAll(touchPages, pages => new object[] { pages });
        _scriptArguments = new object[] { luaScript };
    }

    public bool HasLua => _lua != null;

    public int FreshAdd() => _scribble.CallAndRestore<int>(_scribbleSnapshot, "Add", _addArguments);

    /// <param name="which">Index into the touchPages the constructor was given.</param>
    public int FreshTouchPages(int which) =>
        _scribble.CallAndRestore<int>(_scribbleSnapshot, "TouchPages", _touchArguments[which]);

    public string FreshScript() =>
        _lua!.CallAndRestore<string>(_luaSnapshot!, "Eval", _scriptArguments);

    /// <summary>A call on the live scribbleguest sandbox, no restore.</summary>
    public int LiveAdd() => _scribble.Call<int>("Add", _addArguments);

    /// <summary>
    /// A sandbox from the scribbleguest snapshot, nothing called, disposed.
    /// Its VM comes from the default engine's pool, or is a disposed sandbox
    /// of the same snapshot the engine kept warm (the design, docs/snapshots.md).
    /// </summary>
    public void CreateSandbox()
    {
        using Sandbox fresh = Sandbox.FromSnapshot(_scribbleSnapshot);
    }

    public void Dispose()
    {
        _luaSnapshot?.Dispose();
        _lua?.Dispose();
        _scribbleSnapshot.Dispose();
        _scribble.Dispose();
    }
}
