package hyperlight

/*
#include <stdlib.h>
#include "hyperlight.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// liveSnapshots counts the C snapshot handles not deleted yet (a test hook).
var liveSnapshots atomic.Int64

// Snapshot is an immutable copy of a sandbox's state: guest memory, vCPU
// registers, mapped regions and the guest counter. Take one with
// Sandbox.Snapshot or LoadSnapshot; put a sandbox back into it with
// Sandbox.Restore or Sandbox.CallAndRestore, or make new sandboxes from it
// with NewSandboxFromSnapshot. Release it with Close.
//
// A Snapshot may be used from any number of goroutines at once, by any
// number of sandboxes. Sandboxes that restored it or were made from it do
// not need it afterwards: closing it does not affect them.
type Snapshot struct {
	// mu protects ptr, closed and users.
	mu  sync.Mutex
	ptr *C.hl_snapshot_t
	// closed is set by Close; from then on the snapshot cannot be used.
	closed bool
	// users counts the library calls using ptr right now. The C handle is
	// deleted when the snapshot is closed and no call uses it any more
	// (hl_snapshot_delete during a call that uses the handle is a
	// use-after-free).
	users int
}

// newSnapshot wraps a C snapshot, which it owns from now on. (The C
// snapshot holds the regions mapped when it was taken; deleting it lets go
// of them, and the library finalizes those no sandbox maps.)
func newSnapshot(ptr *C.hl_snapshot_t) *Snapshot {
	liveSnapshots.Add(1)
	s := &Snapshot{ptr: ptr}
	// A safety net for a forgotten Close. An unreachable snapshot is used by
	// no call (each use keeps it reachable until it is done).
	runtime.SetFinalizer(s, (*Snapshot).Close)
	return s
}

// acquire returns s's C handle for one library call, or fails if s is nil
// or closed. The caller calls s.release when the call has returned.
func (s *Snapshot) acquire(what string) (*C.hl_snapshot_t, error) {
	if s == nil {
		return nil, newError(ErrorInvalidArgument, what+": the snapshot is nil")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, newError(ErrorInvalidArgument, what+": the snapshot is closed")
	}
	s.users++
	return s.ptr, nil
}

// release ends a use begun by acquire; the last use of a closed snapshot
// deletes its C handle.
func (s *Snapshot) release() {
	s.mu.Lock()
	s.users--
	ptr := s.takeIfUnused()
	s.mu.Unlock()
	s.free(ptr)
}

// takeIfUnused returns the C handle and forgets it if s is closed and no
// call uses it, else nil. The caller holds s.mu and passes the handle to
// free.
func (s *Snapshot) takeIfUnused() *C.hl_snapshot_t {
	if !s.closed || s.users != 0 {
		return nil
	}
	ptr := s.ptr
	s.ptr = nil
	return ptr
}

// free deletes the C handle from takeIfUnused; nil is ignored. It runs once
// per snapshot: when it is closed and no call uses it.
func (s *Snapshot) free(ptr *C.hl_snapshot_t) {
	if ptr == nil {
		return
	}
	C.hl_snapshot_delete(ptr) // runs the finalizers of the regions only it held
	liveSnapshots.Add(-1)
}

// Close releases the snapshot. Sandboxes made from it or restored to it are
// not affected; later uses of s fail with ErrorInvalidArgument. Close never
// waits: if a Restore, CallAndRestore or NewSandboxFromSnapshot is using s
// on another goroutine, the snapshot is freed when that call returns.
// Closing a closed snapshot does nothing.
func (s *Snapshot) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	runtime.SetFinalizer(s, nil)
	ptr := s.takeIfUnused()
	s.mu.Unlock()
	s.free(ptr)
}

// MemorySize returns the guest memory size, in bytes, of the sandboxes the
// snapshot fits (compare Sandbox.MemorySize), or 0 once it is closed.
func (s *Snapshot) MemorySize() uint64 {
	ptr, err := s.acquire("MemorySize")
	if err != nil {
		return 0
	}
	defer s.release()
	return uint64(C.hl_snapshot_memory_size(ptr))
}

// Save writes the snapshot to the file at path (replaced atomically): a
// versioned, checksummed format that LoadSnapshot reads, in this or another
// process on a machine with the same library version.
//
// Errors include ErrorIo (naming the path) and ErrorInvalidArgument (the
// snapshot holds mapped regions, which point at host memory; a closed
// snapshot; a path with a NUL byte).
func (s *Snapshot) Save(path string) error {
	if strings.IndexByte(path, 0) >= 0 {
		return newError(ErrorInvalidArgument, "Save: the path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	ptr, err := s.acquire("Save")
	if err != nil {
		return err
	}
	defer s.release()
	return takeError(C.hl_snapshot_save(ptr, cpath))
}

// LoadSnapshot reads a snapshot file written by Snapshot.Save, verifying
// its version, checksum and structure. Close the snapshot when done with it.
//
// Errors include ErrorIo, ErrorSnapshotCorrupt (truncated, bad checksum,
// malformed) and ErrorSnapshotVersion (another format or guest ABI
// version).
func LoadSnapshot(path string) (*Snapshot, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return nil, newError(ErrorInvalidArgument, "LoadSnapshot: the path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var ptr *C.hl_snapshot_t
	if err := takeError(C.hl_snapshot_load(cpath, &ptr)); err != nil {
		return nil, err
	}
	return newSnapshot(ptr), nil
}

// NewSandboxFromSnapshot creates a sandbox already in snap's state, without
// loading an ELF or running the guest's initialisation (it is much faster
// than NewSandbox). Any number of goroutines may do so from one snapshot at
// once.
//
// Host functions are not part of a snapshot, only their names and
// signatures are: give the new sandbox the ones the guest calls with
// cfg.HostFunctions, which must then have every one of them with the same
// signature (else ErrorSnapshotMismatch, naming the first it lacks, and no
// sandbox), or Register them on the new sandbox before calling it. cfg may
// be nil for the defaults; only its runtime settings apply (MaxLogLevel,
// Logger, Print, PrintLimit, CallTimeout, CallCPUBudget, Engine,
// HostFunctions, GdbPort, CrashdumpDir): the
// memory sizes and InitData come from the snapshot, and those fields are
// ignored, as is InitTimeout (no initialisation runs). With GdbPort set it
// blocks until gdb connects, and the guest stops at its first call. The VM comes from the engine's pool of pre-created
// VMs when one is ready, or is a closed sandbox of the same snapshot that
// the engine kept (see EngineOptions.VMPoolSize).
// MaxLogLevel can only filter more: the guest itself still drops the
// records above the level of the sandbox the snapshot was taken from.
// SharedMemory mapped in the snapshot is mapped into the new sandbox too.
//
// Errors include ErrorNoHypervisor, ErrorOutOfMemory, ErrorHypervisor,
// ErrorSnapshotMismatch (cfg.HostFunctions lacks a function the snapshot
// needs), ErrorDebugger (cfg.GdbPort is in use) and ErrorInvalidArgument (snap nil or closed, or cfg.Engine or
// cfg.HostFunctions closed).
func NewSandboxFromSnapshot(snap *Snapshot, cfg *Config) (*Sandbox, error) {
	ptr, err := snap.acquire("NewSandboxFromSnapshot")
	if err != nil {
		return nil, err
	}
	defer snap.release()
	var runtimeCfg *Config
	if cfg != nil {
		runtimeCfg = &Config{MaxLogLevel: cfg.MaxLogLevel, Logger: cfg.Logger, Print: cfg.Print,
			PrintLimit: cfg.PrintLimit, CallTimeout: cfg.CallTimeout, CallCPUBudget: cfg.CallCPUBudget,
			Engine: cfg.Engine, HostFunctions: cfg.HostFunctions, GdbPort: cfg.GdbPort,
			CrashdumpDir: cfg.CrashdumpDir}
	}
	return createSandbox(runtimeCfg, func(config *C.hl_config_t, out **C.hl_sandbox_t) *C.hl_error_t {
		return C.hl_sandbox_new_from_snapshot(ptr, config, out)
	})
}

// Snapshot captures the sandbox's state: guest memory, vCPU registers,
// mapped regions, the guest counter. It also becomes the sandbox's restore
// baseline, which makes restoring it here cheap: the cost grows with the
// pages written since, not with the sandbox's size. Close the snapshot when
// done with it.
//
// SharedMemory mapped into the sandbox is part of the snapshot: it cannot be
// closed (ErrorBusy) until the snapshot is closed, even once unmapped, and
// such a snapshot cannot be saved to a file. The sandbox does not keep the
// snapshot: closing it lets go of that memory even while the sandbox lives.
//
// Errors include ErrorPoisoned (restore the sandbox first), ErrorBusy (a
// call is running) and ErrorOutOfMemory.
func (s *Sandbox) Snapshot() (*Snapshot, error) {
	ptr, err := s.acquire("Snapshot")
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	if !s.calling.CompareAndSwap(false, true) {
		return nil, newError(ErrorBusy, "Snapshot: the sandbox is busy: a call is running")
	}
	defer s.calling.Store(false)
	var snap *C.hl_snapshot_t
	cerr := C.hl_sandbox_snapshot(ptr, &snap)
	runtime.KeepAlive(s)
	if err := takeError(cerr); err != nil {
		return nil, err
	}
	return newSnapshot(snap), nil
}

// Restore puts the sandbox back exactly into snap's state (guest memory,
// vCPU registers, mapped regions, the guest counter) and clears poisoning:
// Status is SandboxReady afterwards. snap may come from this sandbox or from
// any sandbox with the same memory layout (same guest and sizes).
//
// Errors include ErrorSnapshotMismatch (another memory layout, or a host
// function registered when the snapshot was taken is not registered here
// with the same signature; nothing is changed), ErrorBusy (a call is
// running), ErrorHypervisor (the sandbox is then poisoned) and
// ErrorInvalidArgument (snap nil or closed).
func (s *Sandbox) Restore(snap *Snapshot) error {
	snapPtr, err := snap.acquire("Restore")
	if err != nil {
		return err
	}
	defer snap.release()
	ptr, err := s.acquire("Restore")
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if !s.calling.CompareAndSwap(false, true) {
		return newError(ErrorBusy, "Restore: the sandbox is busy: a call is running")
	}
	defer s.calling.Store(false)
	err = takeError(C.hl_sandbox_restore(ptr, snapPtr))
	s.poisoned.Store(C.hl_sandbox_status(ptr) == C.HL_SANDBOX_POISONED)
	runtime.KeepAlive(s)
	return err
}

// CallAndRestore calls the guest function name with args, like Call, and
// then restores snap whatever the call's outcome, so that every call starts
// from the same state and leaves nothing behind. A poisoned sandbox is
// restored before the call. The result is returned as by Call.
//
// The call's own error is returned (after the restore); if the restore
// fails, its error is returned instead and the sandbox stays poisoned.
// Config.CallTimeout applies to the call. Errors are those of Call and
// Restore.
func (s *Sandbox) CallAndRestore(snap *Snapshot, name string, args ...any) (any, error) {
	if snap == nil { // call takes nil for a plain Call
		return nil, newError(ErrorInvalidArgument, "CallAndRestore: the snapshot is nil")
	}
	return s.call("CallAndRestore", name, args, callSettings{snap: snap})
}

// CallAndRestoreWithOptions is CallAndRestore with this call's time limit
// and CPU budget (see CallOptions), returning what the call and its restore
// cost: CallStats.PagesRestored and CallStats.Restore are the restore's, and
// CallStats.Wall includes it. The stats are filled also when the call fails
// (and are zero when it is refused before reaching the library, such as for
// an argument of an unsupported type).
func (s *Sandbox) CallAndRestoreWithOptions(snap *Snapshot, opts CallOptions, name string, args ...any) (any, CallStats, error) {
	if snap == nil { // call takes nil for a plain Call
		return nil, CallStats{}, newError(ErrorInvalidArgument, "CallAndRestoreWithOptions: the snapshot is nil")
	}
	return s.callWithOptions("CallAndRestoreWithOptions", opts, snap, name, args)
}
