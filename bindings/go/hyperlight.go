// Package hyperlight runs guest code in tiny KVM virtual machines through
// the hyperlight C library (include/hyperlight.h).
//
// A Sandbox is one micro-VM running one guest ELF. Call runs a guest
// function by name; Register makes a Go function callable by the guest;
// an InterruptHandle stops a running call from another goroutine.
//
//	sb, err := hyperlight.NewSandbox("simpleguest.elf", nil)
//	if err != nil {
//		return err
//	}
//	defer sb.Close()
//	err = sb.Register("HostAdd", func(a, b int32) int32 { return a + b })
//	result, err := sb.Call("AddViaHost", int32(40), int32(2)) // result == int32(42)
//
// # Values
//
// Arguments, results and host-function signatures use these Go types, one
// per hyperlight kind: int32 (KindI32), uint32 (KindU32), int64 (KindI64),
// uint64 (KindU64), float32 (KindF32), float64 (KindF64), bool (KindBool),
// string (KindString) and []byte (KindBytes). Named types whose underlying
// type is one of these are accepted too. Plain int is not: convert it to
// int32 or int64, whichever the guest function expects. Results come back
// as exactly these types (nil for a function that returns nothing), and
// strings and byte slices are always copies owned by Go.
//
// # Errors
//
// Every error this package returns is an *Error carrying a stable ErrorCode.
// Match a code with errors.Is and an *Error that has only Code set:
//
//	if errors.Is(err, &hyperlight.Error{Code: hyperlight.ErrorCancelled}) { ... }
//
// # Concurrency
//
// A Sandbox runs one call at a time and is not meant for concurrent use:
// serialize your calls or use one sandbox per goroutine. Misuse is safe but
// fails: a Call or Register made while a call is running returns ErrorBusy
// from the library, and Close returns ErrorBusy instead of destroying a
// sandbox that is in use. Different sandboxes run in parallel.
// InterruptHandle.Kill may be called from any goroutine at any time.
//
// Host functions run synchronously on the goroutine that called Call (on
// its OS thread, inside the cgo call), never on a goroutine of their own;
// so does a Config.Logger. The counter methods (CounterIncrement and
// friends), MemorySize and InterruptHandle may be used while a call runs;
// MapRegion, UnmapRegion and MapFile then fail with ErrorBusy.
//
// # Configuration, logging and memory
//
// A Config sets memory and buffer sizes, the guest's log level and a Go
// Logger for its records, an init-data blob the guest reads at start, time
// limits for calls (CallTimeout) and for the guest's initialisation
// (InitTimeout), and debugging: a gdb port (GdbPort) and a directory for
// core files of guest crashes (CrashdumpDir; Sandbox.Crashdump writes one
// on demand). docs/debugging.md describes the debugging workflow.
// Host memory from AllocateSharedMemory (outside the Go heap, since the
// library keeps its address) can be mapped read-only into a sandbox with
// MapRegion, a file with MapFile; the guest counter is a uint64 the host
// sets and the guest reads:
//
//	mem, err := hyperlight.AllocateSharedMemory(1 << 20)
//	copy(mem.Bytes(), table)
//	err = sb.MapRegion(mem, 4<<30, hyperlight.MapRead) // the guest reads it at 4 GiB
//	...
//	err = sb.UnmapRegion(4 << 30)
//	err = mem.Close()
//
// # Snapshots
//
// A Snapshot is an immutable copy of a sandbox's state. Restore puts a
// sandbox back into it (clearing poisoning), CallAndRestore makes a call and
// then restores, so that every request starts clean, and
// NewSandboxFromSnapshot creates sandboxes already initialised. Snapshots
// can be saved to files and loaded again:
//
//	snap, err := sb.Snapshot()
//	defer snap.Close()
//	result, err := sb.CallAndRestore(snap, "Handle", request)
//	sb2, err := hyperlight.NewSandboxFromSnapshot(snap, nil)
//	err = sb2.Register("HostAdd", hostAdd) // host functions are not in snapshots
//	err = snap.Save("app.snap")            // LoadSnapshot reads it back
//
// A Snapshot may be used by any number of goroutines and sandboxes at once.
//
// # Observability
//
// CallWithOptions and CallAndRestoreWithOptions take one call's time limit
// and guest CPU-time budget (CallOptions) and return what the call cost
// (CallStats); Config.CallCPUBudget sets a default budget, and Config.Print
// takes what the guest prints instead of stdout. Each Engine counts what
// its sandboxes do (Metrics), served to Prometheus by MetricsHandler and
// to expvar by PublishExpvar:
//
//	result, stats, err := sb.CallWithOptions(hyperlight.CallOptions{CPUBudget: 50 * time.Millisecond}, "Handle", request)
//	http.Handle("/metrics", engine.MetricsHandler())
//	engine.PublishExpvar("hyperlight")
//
// # Engines and signals
//
// An Engine holds what sandboxes share: the KVM handle, a pool of
// pre-created VMs, the timer thread behind time limits, closed sandboxes
// kept warm for NewSandboxFromSnapshot, and the real-time signal that
// interrupts calls (kills, CallContext, time limits). Sandboxes whose
// Config names no Engine use the default engine (a pool of 2 VMs, the
// signal SIGRTMIN+5; see InterruptSignal). Make engines with other settings
// with NewEngine; engines are independent, and may use different signals:
//
//	size, offset := uint32(4), uint32(7)
//	engine, err := hyperlight.NewEngine(&hyperlight.EngineOptions{VMPoolSize: &size, InterruptSignalOffset: &offset})
//	defer engine.Close() // its sandboxes keep it running until they are closed
//	sb, err := hyperlight.NewSandbox("simpleguest.elf", &hyperlight.Config{Engine: engine})
//
// The library installs its handler for an engine's signal with SA_ONSTACK,
// as the Go runtime requires, and passes on to the Go runtime's handler
// (os/signal) the signals it did not send itself. The Go runtime uses no
// real-time signal (it preempts goroutines with SIGURG), so every offset
// works with Go; choose one no C code linked into the process uses.
//
// # Building
//
// cgo finds the library's header and shared object through pkg-config
// (hyperlight.pc, which the library's install puts in PREFIX/lib/pkgconfig):
// build with PKG_CONFIG_PATH=PREFIX/lib/pkgconfig. That file records no
// rpath, so run the program with LD_LIBRARY_PATH=PREFIX/lib or build it with
// CGO_LDFLAGS=-Wl,-rpath,PREFIX/lib. README.md has the details, and how a
// module outside this repository gets this package.
package hyperlight

/*
#cgo pkg-config: hyperlight
#include <stdlib.h>
#include "hyperlight.h"
*/
import "C"

import (
	"context"
	"io"
	"math"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// LibraryVersion returns the version of the loaded hyperlight library, such
// as "0.1.0". Compare it with VersionString, the version these bindings were
// generated for.
func LibraryVersion() string {
	return C.GoString(C.hl_version_string())
}

// LibraryVersionNumber returns the loaded library's version as
// major<<16 | minor<<8 | patch (hl_version); compare it with Version.
func LibraryVersionNumber() uint32 {
	return uint32(C.hl_version())
}

// Config holds sandbox settings. A zero field keeps the library's default;
// a nil *Config means all defaults. A Config is read when a sandbox is
// created: changing it later does not affect that sandbox, and one Config
// may be used for any number of sandboxes.
type Config struct {
	// HeapSize is the guest heap size in bytes: 64 KiB to 1 GiB, rounded
	// up to 4 KiB (default 4 MiB).
	HeapSize uint64
	// StackSize is the guest stack size in bytes: 16 KiB to 256 MiB,
	// rounded up to 4 KiB (default 256 KiB).
	StackSize uint64
	// InputBufferSize is the size in bytes of the buffer that carries
	// calls (name and arguments) and host-function results into the guest:
	// 4 KiB to 256 MiB, rounded up to 4 KiB (default 64 KiB). A call whose
	// arguments do not fit fails with ErrorTooLarge.
	InputBufferSize uint64
	// OutputBufferSize is the size in bytes of the buffer that carries
	// results, host calls and log records out of the guest: 4 KiB to
	// 256 MiB, rounded up to 4 KiB (default 64 KiB).
	OutputBufferSize uint64

	// MaxLogLevel is the most verbose level the guest sends; records above
	// it cost the guest nothing. nil keeps the default: the level named by
	// the HYPERLIGHT_LOG environment variable (off, error, warn, info,
	// debug, trace), else LogWarn. A level above LogTrace fails with
	// ErrorInvalidArgument. Point it at a variable:
	//
	//	level := hyperlight.LogDebug
	//	cfg := &hyperlight.Config{MaxLogLevel: &level}
	MaxLogLevel *LogLevel
	// Logger receives the guest's log records; nil keeps the default,
	// which writes them to stderr. level is LogError to LogTrace, file and
	// line locate the record in the guest's source, and file and message
	// are Go copies of untrusted guest text that Logger may keep.
	//
	// Logger runs synchronously on the goroutine that called Call (or
	// NewSandbox, for records of the guest's initialisation), inside that
	// call. It must not use the sandbox that logs: a Call, Register,
	// MapRegion, UnmapRegion, MapFile or Close on it fails with ErrorBusy.
	// Sandboxes made with the same Config share Logger, which may then run
	// on several goroutines at once. A panic in Logger is recovered and
	// the record dropped; Logger must not call runtime.Goexit (t.Fatal).
	// Logger stays referenced until the sandbox is closed.
	Logger func(level LogLevel, file string, line uint32, message string)

	// Print receives what the guest prints (printf, puts, hlg_print),
	// instead of the process's stdout (nil, the default), up to PrintLimit
	// bytes per call; the rest is dropped and counted
	// (CallStats.PrintBytesDropped). Each Write gets a copy of the guest's
	// untrusted bytes; its error is ignored, and a panic in it is
	// recovered and that output dropped.
	//
	// Print is written like Logger is called: synchronously on the
	// goroutine that called Call (or NewSandbox, for what the guest's
	// initialisation prints), inside that call. Sandboxes made with the
	// same Config share it, so it may then be written on several
	// goroutines at once: make it safe for that (a bytes.Buffer is not) or
	// give each sandbox its own Config. Print stays referenced until the
	// sandbox is closed.
	Print io.Writer
	// PrintLimit is the most bytes Print gets per call (and for the
	// guest's initialisation); 0 keeps the library's default of 64 KiB.
	// It applies only with a Print writer (output to stdout is not
	// capped); to drop everything, use io.Discard as Print.
	PrintLimit uint64

	// InitData is copied into the memory of each sandbox made with this
	// Config, where the guest reads it (hlg_init_data) from its first
	// instruction on; at most 256 MiB. Empty means none.
	InitData []byte
	// InitDataFlags is the guest's access to InitData: MapRead (the
	// default, also meant by 0), optionally with MapWrite (the blob is the
	// sandbox's own copy, so writing to it is allowed) or MapExecute.
	InitDataFlags MapFlag

	// CallTimeout is the default time limit of every Call on sandboxes
	// made with this Config (not of the guest's initialisation: see
	// InitTimeout); 0 (the default) and NoTimeLimit mean none, a negative
	// value fails with ErrorInvalidArgument. A call that exceeds it fails
	// with ErrorTimeout and poisons the sandbox. CallWithTimeout and
	// CallWithOptions override it per call.
	CallTimeout time.Duration
	// CallCPUBudget is the default guest CPU-time budget of every Call on
	// sandboxes made with this Config: a call whose guest uses more CPU
	// time fails with ErrorCpuBudgetExceeded and poisons the sandbox. Time
	// spent in host functions does not count (CallTimeout limits the wall
	// clock). 0 (the default) and NoTimeLimit mean none, a negative value
	// fails with ErrorInvalidArgument. The library checks budgets about
	// every millisecond. CallWithOptions overrides it per call.
	CallCPUBudget time.Duration
	// InitTimeout is the time limit of the guest's initialisation in
	// NewSandbox and NewSandboxFromBytes: a guest still initialising when
	// it passes is stopped and the call fails with ErrorTimeout, so a guest
	// that never finishes starting cannot block its creator forever. 0
	// keeps the library's default of 10 s (unlike CallTimeout, whose
	// default is no limit); NoTimeLimit means none, and a negative value
	// fails with ErrorInvalidArgument. Sandboxes made by
	// NewSandboxFromSnapshot run no initialisation and ignore it.
	InitTimeout time.Duration

	// Engine is the engine the sandboxes use: its VM pool, time-limit
	// timer and interrupt signal (see NewEngine). nil means the default
	// engine. Each sandbox holds the engine for as long as it lives, so the
	// Engine may be closed once its sandboxes are created; creating one
	// with a closed Engine fails with ErrorInvalidArgument.
	Engine *Engine

	// HostFunctions is the set of host functions every sandbox made with
	// this Config starts with, shared by all of them (see HostFunctions);
	// nil means none. Making a sandbox freezes the set. Each sandbox holds
	// the set for as long as it lives, so it may be closed once its
	// sandboxes are created; creating one with a closed set fails with
	// ErrorInvalidArgument.
	HostFunctions *HostFunctions

	// GdbPort, when not 0, debugs the sandboxes made with this Config in
	// gdb (docs/debugging.md): NewSandbox listens on 127.0.0.1:GdbPort,
	// prints where to stderr and blocks until gdb connects (target remote
	// :PORT), before the guest's first instruction; NewSandboxFromSnapshot
	// blocks the same way and the guest stops at its first call. While gdb
	// is attached calls have no time limit, and a guest fault stops in gdb
	// before the call fails. A port in use fails with ErrorDebugger; one
	// sandbox per port at a time. 0 keeps the default: the port named by
	// the HYPERLIGHT_GDB_PORT environment variable, else no debugging.
	GdbPort uint16
	// CrashdumpDir is an existing directory where a guest exception,
	// memory access violation, stack overflow, abort or triple fault writes
	// an ELF core file of the guest (hyperlight-guest-PID-TIME-N.core, mode
	// 0600, never overwriting a file), for gdb GUEST.elf CORE
	// (docs/debugging.md). The failed call's error message then ends in
	// " (core dump: PATH)", or says why none was written. Empty keeps the
	// default: the directory named by the HYPERLIGHT_CRASHDUMP_DIR
	// environment variable, else no crash dumps. Sandbox.Crashdump writes
	// a core on demand.
	CrashdumpDir string
}

// NoTimeLimit, as Config.CallTimeout, Config.InitTimeout,
// Config.CallCPUBudget, the timeout of CallWithTimeout or a field of
// CallOptions, means no time limit. It is the longest time.Duration
// (about 292 years); the library treats every limit of 2^62 ns (about 146
// years) or more as none, so any such duration works the same.
const NoTimeLimit = time.Duration(math.MaxInt64)

// Sandbox is one micro-VM running one guest. Create it with NewSandbox,
// NewSandboxFromBytes or NewSandboxFromSnapshot and destroy it with Close.
//
// A Sandbox runs one call at a time; see the package documentation on
// concurrency.
type Sandbox struct {
	// mu protects ptr and callbacks: every method that uses ptr holds it
	// for reading; Close takes it for writing without waiting (see Close).
	mu  sync.RWMutex
	ptr *C.hl_sandbox_t
	// callbacks are the cgo.Handles of Config.Logger and Config.Print, the
	// user_data of the log and print callbacks. Close deletes them after
	// the sandbox.
	callbacks configCallbacks

	// calling is set while a call, Snapshot or Restore runs (under
	// mu.RLock): a second one fails with ErrorBusy, and hl_sandbox_status,
	// which must not run concurrently with a call, is read only by the
	// one that set it. (Mapped regions need no bookkeeping here: the
	// library finalizes each SharedMemory region when it lets go of it.)
	calling atomic.Bool
	// poisoned caches hl_sandbox_status after each call and restore
	// (calls poison a sandbox, restores clear it); Status reads it.
	poisoned atomic.Bool
}

// NewSandbox creates a sandbox from the guest ELF file at guestPath and runs
// the guest's initialisation. cfg may be nil for the defaults.
//
// Errors include ErrorNoHypervisor (no usable /dev/kvm), ErrorIo,
// ErrorInvalidElf, ErrorGuestInitFailed, ErrorTimeout (the initialisation
// ran past Config.InitTimeout), ErrorDebugger (Config.GdbPort is in use) and
// ErrorInvalidArgument (a Config value out of range, or a closed
// Config.Engine). With Config.GdbPort set it blocks until gdb connects.
func NewSandbox(guestPath string, cfg *Config) (*Sandbox, error) {
	if strings.IndexByte(guestPath, 0) >= 0 {
		return nil, newError(ErrorInvalidArgument, "NewSandbox: the guest path contains a NUL byte")
	}
	path := C.CString(guestPath)
	defer C.free(unsafe.Pointer(path))
	return createSandbox(cfg, func(config *C.hl_config_t, out **C.hl_sandbox_t) *C.hl_error_t {
		return C.hl_sandbox_new(config, path, out)
	})
}

// NewSandboxFromBytes creates a sandbox from a guest ELF image in memory and
// runs the guest's initialisation. The image is copied; elf may be reused
// afterwards. cfg may be nil for the defaults.
func NewSandboxFromBytes(elf []byte, cfg *Config) (*Sandbox, error) {
	var data *C.uint8_t
	if len(elf) > 0 {
		data = (*C.uint8_t)(unsafe.Pointer(&elf[0])) // read during the call only
	}
	return createSandbox(cfg, func(config *C.hl_config_t, out **C.hl_sandbox_t) *C.hl_error_t {
		return C.hl_sandbox_new_from_memory(config, data, C.size_t(len(elf)), out)
	})
}

// createSandbox converts cfg into a C config of its own, which create turns
// into a sandbox. The config is deleted at once (the sandbox keeps a copy);
// the handles of the Logger and Print live as long as the sandbox.
func createSandbox(cfg *Config, create func(*C.hl_config_t, **C.hl_sandbox_t) *C.hl_error_t) (*Sandbox, error) {
	config, callbacks, err := cfg.toC()
	if err != nil {
		return nil, err
	}
	var ptr *C.hl_sandbox_t
	cerr := create(config, &ptr)
	C.hl_config_delete(config)
	if err := takeError(cerr); err != nil {
		callbacks.delete() // no sandbox uses them
		return nil, err
	}
	return newSandbox(ptr, callbacks), nil
}

// configCallbacks are the cgo.Handles a C config refers to as callback
// user_data (0 for none); they must outlive every sandbox made with it.
type configCallbacks struct {
	logger  cgo.Handle // Config.Logger's, from setLogger
	printer cgo.Handle // Config.Print's, from setPrinter
}

// delete deletes the handles; the zero value has none.
func (c configCallbacks) delete() {
	deleteLogger(c.logger)
	deletePrinter(c.printer)
}

// toC returns a new C config for cfg (NULL for a nil cfg, meaning all
// defaults), which the caller deletes with hl_config_delete, and the
// handles of cfg.Logger and cfg.Print that the config refers to, which
// must outlive every sandbox made with the config.
func (cfg *Config) toC() (*C.hl_config_t, configCallbacks, error) {
	if cfg == nil {
		return nil, configCallbacks{}, nil
	}
	config := C.hl_config_new()
	if config == nil {
		return nil, configCallbacks{}, newError(ErrorOutOfMemory, "hl_config_new failed")
	}
	// Each setter runs only while the previous ones succeeded.
	var cerr *C.hl_error_t
	if cfg.HeapSize != 0 {
		cerr = C.hl_config_set_heap_size(config, C.uint64_t(cfg.HeapSize))
	}
	if cerr == nil && cfg.StackSize != 0 {
		cerr = C.hl_config_set_stack_size(config, C.uint64_t(cfg.StackSize))
	}
	if cerr == nil && cfg.InputBufferSize != 0 {
		cerr = C.hl_config_set_input_buffer_size(config, C.uint64_t(cfg.InputBufferSize))
	}
	if cerr == nil && cfg.OutputBufferSize != 0 {
		cerr = C.hl_config_set_output_buffer_size(config, C.uint64_t(cfg.OutputBufferSize))
	}
	if cerr == nil && cfg.CallTimeout < 0 {
		C.hl_config_delete(config)
		return nil, configCallbacks{}, newError(ErrorInvalidArgument, "Config.CallTimeout is negative")
	}
	if cerr == nil && cfg.CallTimeout != 0 {
		cerr = C.hl_config_set_call_timeout_ns(config, C.uint64_t(cfg.CallTimeout))
	}
	if cerr == nil && cfg.InitTimeout < 0 {
		C.hl_config_delete(config)
		return nil, configCallbacks{}, newError(ErrorInvalidArgument, "Config.InitTimeout is negative")
	}
	if cerr == nil && cfg.InitTimeout != 0 {
		cerr = C.hl_config_set_init_timeout_ns(config, C.uint64_t(cfg.InitTimeout))
	}
	if cerr == nil && cfg.CallCPUBudget < 0 {
		C.hl_config_delete(config)
		return nil, configCallbacks{}, newError(ErrorInvalidArgument, "Config.CallCPUBudget is negative")
	}
	if cerr == nil && cfg.CallCPUBudget != 0 {
		cerr = C.hl_config_set_call_cpu_budget_ns(config, C.uint64_t(cfg.CallCPUBudget))
	}
	if cerr == nil && cfg.PrintLimit != 0 {
		cerr = C.hl_config_set_print_limit(config, C.uint64_t(cfg.PrintLimit))
	}
	if cerr == nil && cfg.MaxLogLevel != nil {
		cerr = C.hl_config_set_max_log_level(config, C.hl_log_level_t(*cfg.MaxLogLevel))
	}
	if cerr == nil && (len(cfg.InitData) > 0 || cfg.InitDataFlags != 0) {
		var data *C.uint8_t
		if len(cfg.InitData) > 0 {
			data = (*C.uint8_t)(unsafe.Pointer(&cfg.InitData[0])) // copied by the call
		}
		cerr = C.hl_config_set_init_data(config, data, C.size_t(len(cfg.InitData)), C.uint32_t(cfg.InitDataFlags))
	}
	if cerr == nil && cfg.GdbPort != 0 {
		cerr = C.hl_config_set_gdb_port(config, C.uint16_t(cfg.GdbPort))
	}
	if cerr == nil && cfg.CrashdumpDir != "" {
		if strings.IndexByte(cfg.CrashdumpDir, 0) >= 0 {
			C.hl_config_delete(config)
			return nil, configCallbacks{}, newError(ErrorInvalidArgument, "Config.CrashdumpDir contains a NUL byte")
		}
		dir := C.CString(cfg.CrashdumpDir)
		cerr = C.hl_config_set_crashdump_dir(config, dir) // copied by the call
		C.free(unsafe.Pointer(dir))
	}
	var callbacks configCallbacks
	if cerr == nil && cfg.Logger != nil {
		callbacks.logger, cerr = setLogger(config, cfg.Logger)
	}
	if cerr == nil && cfg.Print != nil {
		callbacks.printer, cerr = setPrinter(config, cfg.Print)
	}
	err := takeError(cerr)
	if err == nil {
		err = cfg.Engine.setOn(config) // nil: the default engine
	}
	if err == nil {
		err = cfg.HostFunctions.setOn(config) // nil: none
	}
	if err != nil {
		callbacks.delete()
		C.hl_config_delete(config)
		return nil, configCallbacks{}, err
	}
	return config, callbacks, nil
}

func newSandbox(ptr *C.hl_sandbox_t, callbacks configCallbacks) *Sandbox {
	s := &Sandbox{ptr: ptr, callbacks: callbacks}
	// A safety net for a forgotten Close. An unreachable sandbox has no
	// call running, so Close cannot fail here. (A Logger that refers to
	// its own sandbox keeps it reachable: close such sandboxes yourself.)
	runtime.SetFinalizer(s, func(s *Sandbox) { _ = s.Close() })
	return s
}

// acquire read-locks s and returns its C pointer, or fails if s is closed.
// The caller calls s.mu.RUnlock when it no longer uses the pointer.
func (s *Sandbox) acquire(what string) (*C.hl_sandbox_t, error) {
	s.mu.RLock()
	if s.ptr == nil {
		s.mu.RUnlock()
		return nil, newError(ErrorInvalidArgument, what+": the sandbox is closed")
	}
	return s.ptr, nil
}

// Close destroys the sandbox: its VM, its memory, its host functions and the
// handles of its Logger and Print; SharedMemory mapped into it is released (it is then the
// caller's to reuse or close, once no Snapshot taken while it was mapped
// exists). Closing a closed sandbox does nothing and
// returns nil.
//
// Close never waits: if a Call, Register, InterruptHandle, Snapshot or
// Restore is running on the sandbox (on another goroutine, or Close is
// called from one of its host functions), it returns an *Error with
// ErrorBusy and the sandbox stays open. Interrupt handles remain usable
// after Close; their Kill then reports KillSandboxGone. Snapshots of the
// sandbox are not affected.
func (s *Sandbox) Close() error {
	if !s.mu.TryLock() {
		return newError(ErrorBusy, "Close: the sandbox is in use (a call is running); close it after the call returns")
	}
	defer s.mu.Unlock()
	if s.ptr == nil {
		return nil
	}
	runtime.SetFinalizer(s, nil)
	// Runs the finalizer of every host function, and of every mapped region
	// no snapshot holds: their handles are deleted.
	C.hl_sandbox_delete(s.ptr)
	s.ptr = nil
	// No sandbox uses them any more.
	s.callbacks.delete()
	s.callbacks = configCallbacks{}
	return nil
}

// Call calls the guest function name with args and waits for it. args must
// be of the Go types listed in the package documentation; a value of any
// other type fails with ErrorInvalidArgument before the guest is entered.
// The result is an int32, uint32, int64, uint64, float32, float64, bool,
// string or []byte, or nil for a function that returns nothing.
//
// Host functions the guest calls run on the calling goroutine. Errors
// include ErrorGuestFunctionNotFound, ErrorParameterTypeMismatch,
// ErrorHostFunctionFailed, ErrorGuestError, ErrorCancelled (stopped by an
// InterruptHandle), ErrorTimeout (past Config.CallTimeout) and ErrorBusy
// (another call is running). After a cancellation, timeout, guest
// exception or abort the sandbox is poisoned (see Status): later calls fail
// with ErrorPoisoned until a Restore.
func (s *Sandbox) Call(name string, args ...any) (any, error) {
	return s.call("Call", name, args, callSettings{})
}

// CallWithTimeout is Call with its own time limit instead of the Config's
// CallTimeout; 0 and NoTimeLimit mean none, and a negative timeout fails
// with ErrorInvalidArgument. The limit covers the host functions the guest
// calls. When it passes the call fails with ErrorTimeout and the sandbox is
// poisoned.
func (s *Sandbox) CallWithTimeout(timeout time.Duration, name string, args ...any) (any, error) {
	if timeout < 0 {
		return nil, newError(ErrorInvalidArgument, "CallWithTimeout: the timeout is negative")
	}
	options := C.hl_call_options_t{flags: C.HL_CALL_OPTION_TIMEOUT, timeout_ns: C.uint64_t(timeout)}
	return s.call("CallWithTimeout", name, args, callSettings{options: &options})
}

// CallContext is Call, stopped when ctx is done: a goroutine then kills the
// call (retrying Kill every millisecond until it interrupts the call or the
// call returns). A stopped call returns the library's *Error with
// ErrorCancelled, not ctx.Err(), and the sandbox is poisoned, as after
// InterruptHandle.Kill. If ctx is done before the call starts, CallContext
// returns an *Error with ErrorCancelled without entering the guest (the
// sandbox is not poisoned). The Config's CallTimeout still applies.
func (s *Sandbox) CallContext(ctx context.Context, name string, args ...any) (any, error) {
	return s.call("CallContext", name, args, callSettings{ctx: ctx})
}

// callSettings are what the forms of Call add to a plain call (the zero
// value).
type callSettings struct {
	// options are the call's time limit and CPU budget (CallWithTimeout,
	// CallWithOptions); nil keeps the Config's.
	options *C.hl_call_options_t
	// stats receives what the call cost (CallWithOptions), also when it
	// fails in the library; nil asks for none.
	stats *C.hl_call_stats_t
	// ctx kills the call when it is done (CallContext).
	ctx context.Context
	// snap is restored after the call (CallAndRestore).
	snap *Snapshot
}

// call runs the guest function name for every form of Call.
func (s *Sandbox) call(what, name string, args []any, how callSettings) (any, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return nil, newError(ErrorInvalidArgument, what+": the function name contains a NUL byte")
	}
	block, err := newCallBlock(name, args)
	if err != nil {
		return nil, err
	}
	defer block.free()

	var snapPtr *C.hl_snapshot_t
	if how.snap != nil {
		if snapPtr, err = how.snap.acquire(what); err != nil {
			return nil, err
		}
		defer how.snap.release() // the snapshot lives until the call returns
	}
	ptr, err := s.acquire(what)
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	if !s.calling.CompareAndSwap(false, true) {
		return nil, newError(ErrorBusy, what+": the sandbox is busy: a call is running (concurrent use, or re-entry from a host function)")
	}
	defer s.calling.Store(false)
	if ctx := how.ctx; ctx != nil {
		if err := ctx.Err(); err != nil {
			return nil, newError(ErrorCancelled, what+": "+err.Error()+" before the call started")
		}
		stop, err := killWhenDone(ptr, ctx)
		if err != nil {
			return nil, err
		}
		defer stop() // before calling is cleared: no kill can reach a later call
	}
	// The _ex forms with NULL options and stats are the plain ones.
	var cerr *C.hl_error_t
	if how.snap != nil {
		cerr = C.hl_call_and_restore_ex(ptr, snapPtr, block.name, block.args, C.size_t(len(args)), block.result,
			how.options, how.stats)
	} else {
		cerr = C.hl_call_ex(ptr, block.name, block.args, C.size_t(len(args)), block.result, how.options, how.stats)
	}
	ready := C.hl_sandbox_status(ptr) == C.HL_SANDBOX_READY
	s.poisoned.Store(!ready)
	runtime.KeepAlive(s)
	err = takeError(cerr)
	if err != nil {
		return nil, err
	}
	result, err := goValue(block.result)
	C.hl_val_release(block.result)
	return result, err
}

// killWhenDone starts a goroutine that, once ctx is done, kills the call
// running in the sandbox ptr, retrying every millisecond until the kill
// interrupts a call. stop ends the goroutine and waits for it.
func killWhenDone(ptr *C.hl_sandbox_t, ctx context.Context) (stop func(), err error) {
	var handle *C.hl_interrupt_handle_t
	if err := takeError(C.hl_sandbox_interrupt_handle(ptr, &handle)); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		ticker := time.NewTicker(time.Millisecond)
		defer ticker.Stop()
		for C.hl_kill(handle) == C.HL_KILL_NOT_RUNNING {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		C.hl_interrupt_handle_delete(handle)
	}, nil
}

// Status reports whether the sandbox accepts calls: SandboxReady, or
// SandboxPoisoned after a cancellation, timeout, guest exception or abort
// (later calls fail with ErrorPoisoned until a Restore), and for a closed
// sandbox. It may be called from any goroutine at any time; while a call
// runs it reports the status the previous call left.
func (s *Sandbox) Status() SandboxStatus {
	if _, err := s.acquire("Status"); err != nil {
		return SandboxPoisoned
	}
	defer s.mu.RUnlock()
	if s.poisoned.Load() {
		return SandboxPoisoned
	}
	return SandboxReady
}

// InterruptHandle returns a handle that can stop the call running in this
// sandbox from another goroutine. Close the handle when done with it; it
// stays valid after the sandbox is closed.
func (s *Sandbox) InterruptHandle() (*InterruptHandle, error) {
	ptr, err := s.acquire("InterruptHandle")
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var handle *C.hl_interrupt_handle_t
	if err := takeError(C.hl_sandbox_interrupt_handle(ptr, &handle)); err != nil {
		return nil, err
	}
	h := &InterruptHandle{ptr: handle}
	runtime.SetFinalizer(h, (*InterruptHandle).Close)
	return h, nil
}

// InterruptHandle stops a sandbox's running call. Its methods may be called
// from any goroutine at any time, also after the sandbox is closed.
type InterruptHandle struct {
	// mu keeps Close from deleting ptr while a Kill uses it.
	mu  sync.RWMutex
	ptr *C.hl_interrupt_handle_t
}

// Kill stops the call running in the sandbox, if any; that call then
// returns ErrorCancelled and the sandbox is poisoned. It returns
// KillInterrupted if a call was running, KillNotRunning if none was (no
// later call is affected), and KillSandboxGone if the sandbox or this
// handle is closed.
//
// A Kill issued just before a call starts finds nothing to stop; to stop a
// call that another goroutine is about to make, retry Kill until it returns
// KillInterrupted.
func (h *InterruptHandle) Kill() KillResult {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return KillResult(C.hl_kill(h.ptr)) // hl_kill(NULL) is HL_KILL_SANDBOX_GONE
}

// Close releases the handle. Closing it twice does nothing.
func (h *InterruptHandle) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr == nil {
		return
	}
	runtime.SetFinalizer(h, nil)
	C.hl_interrupt_handle_delete(h.ptr)
	h.ptr = nil
}
