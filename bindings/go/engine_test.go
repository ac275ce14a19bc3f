package hyperlight

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

func u32(v uint32) *uint32 { return &v }

// sigRTMin is SIGRTMIN as the library sees it: the default engine uses
// SIGRTMIN+5.
func sigRTMin() int { return InterruptSignal() - 5 }

// sigRTMax is SIGRTMAX on Linux (glibc and musl, every architecture Go
// supports there).
const sigRTMax = 64

// newTestEngine makes an engine with opts that is closed when the test
// ends.
func newTestEngine(t *testing.T, opts *EngineOptions) *Engine {
	t.Helper()
	e, err := NewEngine(opts)
	if err != nil {
		t.Fatalf("NewEngine(%+v): %v", opts, err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Engine.Close: %v", err)
		}
	})
	return e
}

// cancelSpin runs Spin on sb with CallContext, cancels the context after
// 20 ms and reports what went wrong, if anything. Safe on any goroutine.
func cancelSpin(sb *Sandbox) error {
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		done := make(chan error, 1)
		go func() {
			_, err := sb.CallContext(ctx, "Spin")
			done <- err
		}()
		select {
		case err := <-done:
			cancel()
			if !errors.Is(err, &Error{Code: ErrorCancelled}) {
				return fmt.Errorf("CallContext(Spin) = %v, want ErrorCancelled", err)
			}
		case <-time.After(20 * time.Second):
			cancel()
			return errors.New("Spin still runs 20 s after its context was cancelled")
		}
		if sb.Status() == SandboxPoisoned {
			return nil
		}
		// The context was done before the call started (a busy machine):
		// refused without entering the guest, and without poisoning.
		if attempt == 10 {
			return errors.New("CallContext(Spin): the context was done before the call started, 10 times")
		}
	}
}

// killSpin runs Spin on sb and kills it with an InterruptHandle, retrying
// until the kill lands; it reports what went wrong, if anything. Safe on
// any goroutine.
func killSpin(sb *Sandbox) error {
	h, err := sb.InterruptHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	done := make(chan error, 1)
	go func() {
		_, err := sb.Call("Spin")
		done <- err
	}()
	giveUp := time.Now().Add(20 * time.Second)
	for h.Kill() != KillInterrupted {
		if time.Now().After(giveUp) {
			return errors.New("Kill never found the running Spin call")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		if !errors.Is(err, &Error{Code: ErrorCancelled}) {
			return fmt.Errorf("Call(Spin) after Kill = %v, want ErrorCancelled", err)
		}
	case <-time.After(20 * time.Second):
		return errors.New("Spin still runs 20 s after Kill")
	}
	return nil
}

// runConcurrently runs each function on its own goroutine and fails the
// test with every error they report.
func runConcurrently(t *testing.T, fns ...func() error) {
	t.Helper()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func(i int, fn func() error) {
			defer wg.Done()
			errs[i] = fn()
		}(i, fn)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("#%d: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func TestInterruptSignals(t *testing.T) {
	if sig := InterruptSignal(); sig <= 5 {
		t.Fatalf("InterruptSignal() = %d, want SIGRTMIN+5", sig)
	}
	def := newTestEngine(t, nil)
	if got := def.InterruptSignal(); got != InterruptSignal() {
		t.Fatalf("NewEngine(nil).InterruptSignal() = %d, want the default engine's %d", got, InterruptSignal())
	}
	empty := newTestEngine(t, &EngineOptions{})
	if got := empty.InterruptSignal(); got != InterruptSignal() {
		t.Fatalf("NewEngine(&EngineOptions{}).InterruptSignal() = %d, want %d", got, InterruptSignal())
	}
	for _, offset := range []uint32{0, 3, uint32(sigRTMax - sigRTMin())} {
		e := newTestEngine(t, &EngineOptions{InterruptSignalOffset: u32(offset)})
		if got, want := e.InterruptSignal(), sigRTMin()+int(offset); got != want {
			t.Fatalf("offset %d: InterruptSignal() = %d, want %d", offset, got, want)
		}
	}
}

func TestEngineOptionsOutOfRange(t *testing.T) {
	bad := []EngineOptions{
		{VMPoolSize: u32(65)},
		{VMPoolSize: u32(1 << 31)},
		{InterruptSignalOffset: u32(uint32(sigRTMax - sigRTMin() + 1))},
		{InterruptSignalOffset: u32(1 << 31)},
		{InterruptRetryDelay: time.Nanosecond},
		{InterruptRetryDelay: time.Microsecond - 1},
		{InterruptRetryDelay: 100*time.Millisecond + 1},
		{InterruptRetryDelay: time.Hour},
		{InterruptRetryDelay: -time.Millisecond},
		// The first bad option fails, whatever the others are.
		{VMPoolSize: u32(1), InterruptSignalOffset: u32(6), InterruptRetryDelay: time.Nanosecond},
	}
	for _, opts := range bad {
		opts := opts
		e, err := NewEngine(&opts)
		msg := wantCode(t, err, ErrorInvalidArgument)
		if e != nil {
			t.Fatalf("NewEngine(%+v) returned an engine with the error %q", opts, msg)
		}
	}
	good := []EngineOptions{
		{VMPoolSize: u32(0)},
		{VMPoolSize: u32(64)},
		{InterruptSignalOffset: u32(0)},
		{InterruptRetryDelay: time.Microsecond},
		{InterruptRetryDelay: 100 * time.Millisecond},
	}
	for _, opts := range good {
		opts := opts
		newTestEngine(t, &opts)
	}
}

// Two engines with their own pool sizes, signals and retry delays serve
// sandboxes side by side with those of the default engine: kills,
// cancellations and time limits work in each, at once, and reach only
// their own calls.
func TestTwoEnginesWithDifferentSettings(t *testing.T) {
	a := newTestEngine(t, &EngineOptions{VMPoolSize: u32(0), InterruptSignalOffset: u32(6)})
	b := newTestEngine(t, &EngineOptions{VMPoolSize: u32(4), InterruptSignalOffset: u32(8),
		InterruptRetryDelay: 50 * time.Microsecond})
	if a.InterruptSignal() != sigRTMin()+6 || b.InterruptSignal() != sigRTMin()+8 {
		t.Fatalf("signals %d and %d, want SIGRTMIN+6 = %d and SIGRTMIN+8", a.InterruptSignal(),
			b.InterruptSignal(), sigRTMin()+6)
	}
	sbA := newConfiguredSandbox(t, guestPath(), &Config{Engine: a})
	sbB := newConfiguredSandbox(t, guestPath(), &Config{Engine: b})
	snapA := takeSnapshot(t, sbA)
	snapB := takeSnapshot(t, sbB)

	// A bystander on the default engine calls throughout: no kill of
	// another engine may reach it.
	bystander := newTestSandbox(t)
	stop := make(chan struct{})
	bystanderErr := make(chan error, 1)
	var stopOnce sync.Once
	var stopErr error
	stopBystander := func() error {
		stopOnce.Do(func() {
			close(stop)
			stopErr = <-bystanderErr
		})
		return stopErr
	}
	defer stopBystander() // also when the test fails: the sandbox is closed after it
	go func() {
		calls := 0
		for {
			select {
			case <-stop:
				if calls == 0 {
					bystanderErr <- errors.New("the bystander made no calls")
				} else {
					bystanderErr <- nil
				}
				return
			default:
			}
			if got, err := bystander.Call("Add", int32(1), int32(2)); err != nil || got != int32(3) {
				bystanderErr <- fmt.Errorf("bystander call %d: Add = %#v, %v", calls, got, err)
				return
			}
			calls++
		}
	}()

	// Cancellations on both engines at once.
	runConcurrently(t, func() error { return cancelSpin(sbA) }, func() error { return cancelSpin(sbB) })

	// Each engine's timer serves its sandboxes' time limits.
	for _, sb := range []*Sandbox{sbA, sbB} {
		if err := sb.Restore(snapA); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		_, err := sb.CallWithTimeout(50*time.Millisecond, "Spin")
		wantCode(t, err, ErrorTimeout)
	}
	if err := sbA.Restore(snapA); err != nil {
		t.Fatal(err)
	}

	// Sandboxes from snapshots, also across engines (a snapshot belongs to
	// no engine), closed and made again so that each engine's pool and
	// warm sandboxes (none for a, up to 4 for b) are used; killed at once.
	for round := 0; round < 3; round++ {
		fromA := newSandboxFromSnapshot(t, snapA, &Config{Engine: b})
		fromB := newSandboxFromSnapshot(t, snapB, &Config{Engine: a})
		for _, sb := range []*Sandbox{fromA, fromB} {
			if got := mustCall(t, sb, "Add", int32(40), int32(2)); got != int32(42) {
				t.Fatalf("round %d: Add = %#v", round, got)
			}
		}
		runConcurrently(t, func() error { return killSpin(fromA) }, func() error { return killSpin(fromB) },
			func() error { return cancelSpin(sbA) })
		for _, sb := range []*Sandbox{fromA, fromB} {
			if err := sb.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := sbA.Restore(snapA); err != nil {
			t.Fatal(err)
		}
	}

	if err := stopBystander(); err != nil {
		t.Fatal(err)
	}
}

// The library chains to the handler installed before its own (the Go
// runtime's) for the signals it did not send: os/signal still sees an
// engine's signal sent from elsewhere, and the library's own kicks do not
// reach it.
func TestEngineSignalFromElsewhereReachesOsSignal(t *testing.T) {
	e := newTestEngine(t, &EngineOptions{InterruptSignalOffset: u32(9)})
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: e}) // installs the library's handler
	sig := syscall.Signal(e.InterruptSignal())
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, sig)
	defer signal.Stop(ch)

	// The library's kicks are its own.
	if err := killSpin(sb); err != nil {
		t.Fatal(err)
	}
	if err := cancelSpin(newConfiguredSandbox(t, guestPath(), &Config{Engine: e})); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		t.Fatalf("os/signal received %v, sent by the library to its vCPU thread", got)
	case <-time.After(50 * time.Millisecond):
	}

	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		if got != sig {
			t.Fatalf("os/signal received %v, want %v", got, sig)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%v sent with kill(2) did not reach os/signal", sig)
	}
}

// Closing an Engine drops only its own reference: sandboxes made with it,
// one of them in a call, keep working (calls, kills, time limits,
// restores), and the engine stops when the last of them is closed.
func TestClosingAnEngineKeepsItsSandboxesWorking(t *testing.T) {
	e, err := NewEngine(&EngineOptions{VMPoolSize: u32(1), InterruptSignalOffset: u32(7)})
	if err != nil {
		t.Fatal(err)
	}
	sig := e.InterruptSignal()
	cfg := &Config{Engine: e}
	sb, err := NewSandbox(guestPath(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, sb)
	other, err := NewSandboxFromSnapshot(snap, cfg)
	if err != nil {
		t.Fatal(err)
	}

	// Close while a call of one of its sandboxes runs, then kill that call.
	h, err := sb.InterruptHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	done := make(chan error, 1)
	go func() {
		_, err := sb.Call("Spin")
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close again: %v", err)
	}
	for h.Kill() != KillInterrupted {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		wantCode(t, err, ErrorCancelled)
	case <-time.After(20 * time.Second):
		t.Fatal("Spin still runs 20 s after Kill")
	}
	if got := e.InterruptSignal(); got != sig {
		t.Fatalf("InterruptSignal() after Close = %d, want %d", got, sig)
	}

	// Both sandboxes work on: restores, calls, time limits, cancellations.
	for _, s := range []*Sandbox{sb, other} {
		if err := s.Restore(snap); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := mustCall(t, s, "Add", int32(1), int32(2)); got != int32(3) {
			t.Fatalf("Add = %#v", got)
		}
		_, err := s.CallWithTimeout(50*time.Millisecond, "Spin")
		wantCode(t, err, ErrorTimeout)
		if err := s.Restore(snap); err != nil {
			t.Fatalf("Restore: %v", err)
		}
	}
	runConcurrently(t, func() error { return cancelSpin(sb) }, func() error { return killSpin(other) })

	// A closed Engine makes no new sandboxes.
	_, err = NewSandbox(guestPath(), cfg)
	wantCode(t, err, ErrorInvalidArgument)
	_, err = NewSandboxFromSnapshot(snap, cfg)
	wantCode(t, err, ErrorInvalidArgument)

	// The last sandbox's Close stops the engine.
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sb.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "Add", int32(2), int32(3)); got != int32(5) {
		t.Fatalf("Add = %#v", got)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if r := h.Kill(); r != KillSandboxGone {
		t.Fatalf("Kill after Close = %v, want KillSandboxGone", r)
	}
}

// A forgotten Engine is closed by its finalizer; its sandboxes keep it
// running meanwhile.
func TestForgottenEngineIsFinalized(t *testing.T) {
	before := liveEngines.Load()
	sb := func() *Sandbox {
		e, err := NewEngine(&EngineOptions{InterruptSignalOffset: u32(6)})
		if err != nil {
			t.Fatal(err)
		}
		return newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for liveEngines.Load() != before {
		if time.Now().After(deadline) {
			t.Fatal("the finalizer never closed the forgotten Engine")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := mustCall(t, sb, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add = %#v", got)
	}
	if err := cancelSpin(sb); err != nil {
		t.Fatal(err)
	}
}

// EngineOptions.VMPoolSize also caps the closed sandboxes an engine keeps
// for the next NewSandboxFromSnapshot: whatever the size, each such sandbox
// starts clean.
func TestEngineVMPoolSize(t *testing.T) {
	snap := takeSnapshot(t, newTestSandbox(t))
	for _, n := range []uint32{0, 1, 4} {
		e := newTestEngine(t, &EngineOptions{VMPoolSize: u32(n)})
		for round := 0; round < 3; round++ {
			sb, err := NewSandboxFromSnapshot(snap, &Config{Engine: e})
			if err != nil {
				t.Fatalf("pool size %d, round %d: %v", n, round, err)
			}
			if err := sb.Register("HostAdd", func(a, b int32) int32 { return a*10 + b }); err != nil {
				t.Fatalf("pool size %d, round %d: Register: %v", n, round, err)
			}
			if got := mustCall(t, sb, "AddViaHost", int32(4), int32(2)); got != int32(42) {
				t.Fatalf("pool size %d, round %d: AddViaHost = %#v", n, round, got)
			}
			if got := sb.CounterValue(); got != 0 {
				t.Fatalf("pool size %d, round %d: the counter is %d, want 0", n, round, got)
			}
			if _, err := sb.CounterIncrement(); err != nil {
				t.Fatal(err)
			}
			if err := sb.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
