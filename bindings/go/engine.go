package hyperlight

/*
#include "hyperlight.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// liveEngines counts the Engines not closed yet (a test hook).
var liveEngines atomic.Int64

// EngineOptions holds the settings of an Engine. A nil field, or a zero
// InterruptRetryDelay, keeps the library's default; a nil *EngineOptions
// means all defaults.
type EngineOptions struct {
	// VMPoolSize is how many pre-created VMs the engine keeps ready for its
	// new sandboxes (NewSandboxFromSnapshot draws from them), and how many
	// closed sandboxes made from snapshots it keeps for reuse by the next
	// NewSandboxFromSnapshot of the same snapshot (stripped of their host
	// functions, Logger and interrupt handles): 0 to 64, else
	// ErrorInvalidArgument. nil keeps the default of 2; a pointer to 0
	// turns both off. Point it at a variable:
	//
	//	size := uint32(4)
	//	engine, err := hyperlight.NewEngine(&hyperlight.EngineOptions{VMPoolSize: &size})
	VMPoolSize *uint32
	// InterruptSignalOffset chooses the real-time signal SIGRTMIN+offset
	// that kills, CallContext and time limits use to interrupt the
	// engine's calls. nil keeps the default offset 5 (0 is a valid offset,
	// hence the pointer); above SIGRTMAX it fails with
	// ErrorInvalidArgument. Engines may use different signals; pick ones
	// nothing else in the process uses (see InterruptSignal).
	InterruptSignalOffset *uint32
	// InterruptRetryDelay is how long a kill waits before re-sending its
	// signal to a call that has not left the guest yet (a signal can be
	// missed while the thread briefly blocks it). 0 keeps the default of
	// 200 µs; otherwise it must be 1 µs to 100 ms, else
	// ErrorInvalidArgument (so is a negative delay).
	InterruptRetryDelay time.Duration
}

// Engine is what sandboxes share: the KVM handle, a pool of pre-created VMs,
// the timer thread that serves time limits, closed sandboxes kept warm for
// NewSandboxFromSnapshot, and the interrupt signal. Sandboxes whose Config
// names no Engine use the default engine, made on first use with default
// settings and kept until the process exits; make your own with NewEngine
// for other settings, or to keep groups of sandboxes apart.
//
// The library counts references to an engine: each sandbox made with it
// holds one, so Close may be called while they live; the engine stops (and
// its threads are joined) when it is closed and the last of them is closed.
// An Engine may be used from any number of goroutines at once.
type Engine struct {
	// mu protects ptr: Config.toC holds it for reading while it hands ptr
	// to a C config; Close takes it for writing.
	mu  sync.RWMutex
	ptr *C.hl_engine_t
	// signal is the engine's interrupt signal, read once at creation.
	signal int
}

// NewEngine makes an engine with opts (nil for the defaults). Its threads
// start when first needed. Name it in Config.Engine to create sandboxes
// with it, and Close it when done (a finalizer does so for a forgotten
// engine, but threads and VMs are held until then).
//
// Errors include ErrorNoHypervisor (no usable /dev/kvm) and
// ErrorInvalidArgument (an option out of range).
func NewEngine(opts *EngineOptions) (*Engine, error) {
	var config *C.hl_engine_config_t
	if opts != nil {
		if opts.InterruptRetryDelay < 0 {
			return nil, newError(ErrorInvalidArgument, "EngineOptions.InterruptRetryDelay is negative")
		}
		config = C.hl_engine_config_new()
		if config == nil {
			return nil, newError(ErrorOutOfMemory, "hl_engine_config_new failed")
		}
		defer C.hl_engine_config_delete(config)
		// Each setter runs only while the previous ones succeeded.
		var cerr *C.hl_error_t
		if opts.VMPoolSize != nil {
			cerr = C.hl_engine_config_set_vm_pool_size(config, C.uint32_t(*opts.VMPoolSize))
		}
		if cerr == nil && opts.InterruptSignalOffset != nil {
			cerr = C.hl_engine_config_set_interrupt_signal_offset(config, C.uint32_t(*opts.InterruptSignalOffset))
		}
		if cerr == nil && opts.InterruptRetryDelay != 0 {
			cerr = C.hl_engine_config_set_interrupt_retry_delay_ns(config, C.uint64_t(opts.InterruptRetryDelay))
		}
		if err := takeError(cerr); err != nil {
			return nil, err
		}
	}
	var ptr *C.hl_engine_t
	if err := takeError(C.hl_engine_new(config, &ptr)); err != nil {
		return nil, err
	}
	liveEngines.Add(1)
	e := &Engine{ptr: ptr, signal: int(C.hl_engine_interrupt_signal(ptr))}
	// A safety net for a forgotten Close; sandboxes made with the engine
	// hold references of their own and keep it running.
	runtime.SetFinalizer(e, (*Engine).Close)
	return e, nil
}

// Close drops this Engine's reference to the engine and returns nil;
// closing a closed engine does nothing. Sandboxes made with it (and Configs
// naming it, in sandboxes created later) are not affected while they live:
// they hold references of their own, and the engine stops only when the
// last of them is closed. A Config naming a closed Engine fails with
// ErrorInvalidArgument when a sandbox is created with it.
//
// When Close drops the last reference it stops the engine's threads and
// closes its VMs before returning, so it must not be called from a host
// function or Logger of one of the engine's sandboxes.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ptr == nil {
		return nil
	}
	runtime.SetFinalizer(e, nil)
	C.hl_engine_delete(e.ptr)
	e.ptr = nil
	liveEngines.Add(-1)
	return nil
}

// InterruptSignal returns the signal number the engine uses to interrupt
// its sandboxes' calls: SIGRTMIN plus EngineOptions.InterruptSignalOffset.
// It still reports it after Close.
func (e *Engine) InterruptSignal() int {
	return e.signal
}

// InterruptSignal returns the signal number the default engine uses (or
// will use) to interrupt the calls of sandboxes whose Config names no
// Engine: SIGRTMIN+5. It does not create the default engine.
//
// The library installs its handler for an engine's signal when the first
// sandbox of that engine is created (once per signal, for the rest of the
// process), with SA_ONSTACK as the Go runtime requires, and passes the
// signal on to the handler installed before it (the Go runtime's, which
// serves os/signal) unless a thread of this process sent it to another with
// tgkill, as the library's own kicks are. The Go runtime itself uses no
// real-time signal, so any offset works for Go; pick one that no C library
// linked into the process uses.
func InterruptSignal() int {
	return int(C.hl_engine_interrupt_signal(nil))
}

// setOn names the engine in the C config, which takes a reference of its
// own; a nil engine leaves the default engine. It fails if e is closed.
func (e *Engine) setOn(config *C.hl_config_t) error {
	if e == nil {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ptr == nil {
		return newError(ErrorInvalidArgument, "Config.Engine: the engine is closed")
	}
	err := takeError(C.hl_config_set_engine(config, e.ptr))
	runtime.KeepAlive(e)
	return err
}
