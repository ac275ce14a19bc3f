package hyperlight

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// guestPath is the test guest: $HYPERLIGHT_TEST_GUEST, or the one the CMake
// build makes (run scripts/build.sh first).
func guestPath() string {
	if p := os.Getenv("HYPERLIGHT_TEST_GUEST"); p != "" {
		return p
	}
	return "../../build/tests/guests/simpleguest.elf"
}

// newTestSandbox makes a sandbox that is closed when the test ends.
func newTestSandbox(t *testing.T) *Sandbox {
	t.Helper()
	sb, err := NewSandbox(guestPath(), nil)
	if err != nil {
		t.Fatalf("NewSandbox(%q): %v", guestPath(), err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sb
}

// wantCode fails the test unless err is an *Error with code, and returns
// its message.
func wantCode(t *testing.T, err error, code ErrorCode) string {
	t.Helper()
	if !errors.Is(err, &Error{Code: code}) {
		t.Fatalf("got error %v, want code %v", err, code)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not a *hyperlight.Error", err)
	}
	return e.Message
}

func mustCall(t *testing.T, sb *Sandbox, name string, args ...any) any {
	t.Helper()
	result, err := sb.Call(name, args...)
	if err != nil {
		t.Fatalf("Call(%q): %v", name, err)
	}
	return result
}

func TestLibraryVersionMatchesTheBindings(t *testing.T) {
	if got := LibraryVersionNumber(); got != Version {
		t.Fatalf("LibraryVersionNumber() = %#x, bindings are for %#x", got, Version)
	}
	if got := LibraryVersion(); got != VersionString {
		t.Fatalf("LibraryVersion() = %q, bindings are for %q", got, VersionString)
	}
}

func TestAdd(t *testing.T) {
	sb := newTestSandbox(t)
	if got := mustCall(t, sb, "Add", int32(40), int32(2)); got != int32(42) {
		t.Fatalf("Add(40, 2) = %#v, want int32(42)", got)
	}
}

func TestAddI64Wraps(t *testing.T) {
	sb := newTestSandbox(t)
	if got := mustCall(t, sb, "AddI64", int64(math.MaxInt64), int64(1)); got != int64(math.MinInt64) {
		t.Fatalf("AddI64(MaxInt64, 1) = %#v, want int64(MinInt64)", got)
	}
}

func TestNamedArgumentTypes(t *testing.T) {
	type count int32
	sb := newTestSandbox(t)
	if got := mustCall(t, sb, "Add", count(40), int32(2)); got != int32(42) {
		t.Fatalf("Add(count(40), 2) = %#v, want int32(42)", got)
	}
}

func TestEchoRoundTrips(t *testing.T) {
	sb := newTestSandbox(t)
	for _, text := range []string{"hello, sandbox", "", strings.Repeat("0123456789abcdef", 640), "nul\x00inside, ünïcödé"} {
		got := mustCall(t, sb, "Echo", text)
		if s, ok := got.(string); !ok || s != text {
			t.Fatalf("Echo(%d bytes) = %T of %d bytes, want the same string", len(text), got, len(s))
		}
	}
}

func TestVoidResultIsNil(t *testing.T) {
	sb := newTestSandbox(t)
	if got := mustCall(t, sb, "PrintHello"); got != nil {
		t.Fatalf("PrintHello() = %#v, want nil", got)
	}
	if got := mustCall(t, sb, "GetCpl"); got != int32(3) {
		t.Fatalf("GetCpl() = %#v, want int32(3)", got)
	}
}

func TestAddViaHost(t *testing.T) {
	sb := newTestSandbox(t)
	calls := 0
	if err := sb.Register("HostAdd", func(a, b int32) int32 { calls++; return a + b }); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(20), int32(22)); got != int32(42) {
		t.Fatalf("AddViaHost(20, 22) = %#v, want int32(42)", got)
	}
	if got := mustCall(t, sb, "CountViaHost", int32(1000)); got != int32(1000) {
		t.Fatalf("CountViaHost(1000) = %#v, want int32(1000)", got)
	}
	if calls != 1001 {
		t.Fatalf("HostAdd ran %d times, want 1001", calls)
	}
}

func TestVoidHostFunction(t *testing.T) {
	sb := newTestSandbox(t)
	var seen []int32
	if err := sb.Register("HostNotify", func(v int32) { seen = append(seen, v) }); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int32{7, -1} {
		if got := mustCall(t, sb, "NotifyViaHost", v); got != v {
			t.Fatalf("NotifyViaHost(%d) = %#v, want int32(%d)", v, got, v)
		}
	}
	if len(seen) != 2 || seen[0] != 7 || seen[1] != -1 {
		t.Fatalf("HostNotify saw %v, want [7 -1]", seen)
	}

	// func(...) error is void too; its error still reaches the caller.
	withErr := newTestSandbox(t)
	if err := withErr.Register("HostNotify", func(v int32) error {
		if v < 0 {
			return errors.New("negative")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, withErr, "NotifyViaHost", int32(3)); got != int32(3) {
		t.Fatalf("NotifyViaHost(3) = %#v, want int32(3)", got)
	}
	_, err := withErr.Call("NotifyViaHost", int32(-3))
	if msg := wantCode(t, err, ErrorHostFunctionFailed); !strings.Contains(msg, "negative") {
		t.Fatalf("message %q lacks the Go error's text", msg)
	}
}

func TestEchoViaHost(t *testing.T) {
	sb := newTestSandbox(t)
	var kept []string
	err := sb.Register("HostEcho", func(s string) string {
		kept = append(kept, s) // arguments are Go copies: keeping them is fine
		return strings.ToUpper(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	inputs := []string{"shout this", "", strings.Repeat("abcdefghij", 1024)}
	for _, text := range inputs {
		if got := mustCall(t, sb, "EchoViaHost", text); got != strings.ToUpper(text) {
			t.Fatalf("EchoViaHost(%d bytes) returned %T of the wrong value", len(text), got)
		}
	}
	for i, text := range inputs {
		if kept[i] != text {
			t.Fatalf("argument %d kept by HostEcho changed after the call", i)
		}
	}
}

func TestHostFunctionErrorReachesTheCaller(t *testing.T) {
	sb := newTestSandbox(t)
	err := sb.Register("HostAdd", func(a, b int32) (int32, error) {
		return 0, fmt.Errorf("no adding %d and %d today", a, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sb.Call("AddViaHost", int32(1), int32(2))
	if msg := wantCode(t, err, ErrorHostFunctionFailed); !strings.Contains(msg, "no adding 1 and 2 today") {
		t.Fatalf("message %q lacks the Go error's text", msg)
	}
	// A host function's error does not poison the sandbox.
	if got := mustCall(t, sb, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add after a host error = %#v", got)
	}
}

func TestHostFunctionPanicIsRecovered(t *testing.T) {
	sb := newTestSandbox(t)
	if err := sb.Register("HostEcho", func(s string) string { panic("kaboom: " + s) }); err != nil {
		t.Fatal(err)
	}
	_, err := sb.Call("EchoViaHost", "boom")
	if msg := wantCode(t, err, ErrorHostFunctionFailed); !strings.Contains(msg, "kaboom: boom") {
		t.Fatalf("message %q lacks the panic value", msg)
	}
	if got := mustCall(t, sb, "Echo", "still alive"); got != "still alive" {
		t.Fatalf("Echo after a panic = %#v", got)
	}
}

func TestUnknownGuestFunction(t *testing.T) {
	sb := newTestSandbox(t)
	_, err := sb.Call("NoSuchFunction")
	if msg := wantCode(t, err, ErrorGuestFunctionNotFound); !strings.Contains(msg, "NoSuchFunction") {
		t.Fatalf("message %q does not name the function", msg)
	}
}

func TestUnsupportedArgumentsFailBeforeTheGuest(t *testing.T) {
	sb := newTestSandbox(t)
	// The guest would answer ErrorGuestFunctionNotFound: ErrorInvalidArgument
	// proves the call never left Go.
	for _, arg := range []any{struct{}{}, 42, nil, []int32{1}, map[string]int32{}, &struct{}{}} {
		_, err := sb.Call("NoSuchFunction", arg)
		wantCode(t, err, ErrorInvalidArgument)
	}
	_, err := sb.Call("Add", int32(40), 2)
	if msg := wantCode(t, err, ErrorInvalidArgument); !strings.Contains(msg, "argument 1") || !strings.Contains(msg, "int32") {
		t.Fatalf("message %q should name the argument and suggest int32", msg)
	}
	_, err = sb.Call("Add\x00", int32(1), int32(2))
	wantCode(t, err, ErrorInvalidArgument)
	// The guest checks kinds and counts itself.
	_, err = sb.Call("Add", int64(40), int64(2))
	wantCode(t, err, ErrorParameterTypeMismatch)
	_, err = sb.Call("Add", int32(40))
	wantCode(t, err, ErrorParameterCountMismatch)
}

func TestRegisterChecksSignatures(t *testing.T) {
	sb := newTestSandbox(t)
	bad := map[string]any{
		"not a func":      42,
		"nil":             nil,
		"nil func":        (func(int32) int32)(nil),
		"int parameter":   func(int) {},
		"struct result":   func() struct{} { return struct{}{} },
		"two results":     func() (int32, int32) { return 0, 0 },
		"error not last":  func() (error, int32) { return nil, 0 },
		"variadic":        func(...int32) {},
		"slice of int32":  func([]int32) {},
		"pointer":         func(*int32) {},
		"error parameter": func(error) {},
	}
	for what, fn := range bad {
		err := sb.Register("Bad", fn)
		if !errors.Is(err, &Error{Code: ErrorInvalidArgument}) {
			t.Errorf("%s: Register = %v, want ErrorInvalidArgument", what, err)
		}
	}
	for _, name := range []string{"", "nul\x00name", strings.Repeat("n", 256)} {
		err := sb.Register(name, func() {})
		if !errors.Is(err, &Error{Code: ErrorInvalidArgument}) {
			t.Errorf("name of %d bytes: Register = %v, want ErrorInvalidArgument", len(name), err)
		}
	}
	type text string
	good := []any{
		func() {},
		func([]byte) error { return nil },
		func(bool, float32, float64, uint32, uint64, int64, text) (string, error) { return "", nil },
		func(int32) (text, error) { return "", nil },
	}
	for i, fn := range good {
		if err := sb.Register(fmt.Sprintf("Good%d", i), fn); err != nil {
			t.Errorf("Register(%T): %v", fn, err)
		}
	}
	err := sb.Register("Good0", func() {})
	wantCode(t, err, ErrorAlreadyRegistered)
}

func TestKillStopsASpinningGuest(t *testing.T) {
	sb := newTestSandbox(t)
	h, err := sb.InterruptHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if r := h.Kill(); r != KillNotRunning {
		t.Fatalf("Kill with no call = %v, want KillNotRunning", r)
	}

	done := make(chan error, 1)
	go func() {
		_, err := sb.Call("Spin")
		done <- err
	}()
	// The call may not have started yet: retry until a Kill finds it.
	deadline := time.Now().Add(10 * time.Second)
	for h.Kill() != KillInterrupted {
		if time.Now().After(deadline) {
			t.Fatal("Kill never found the running Spin call")
		}
		time.Sleep(2 * time.Millisecond)
	}
	select {
	case err := <-done:
		wantCode(t, err, ErrorCancelled)
	case <-time.After(10 * time.Second):
		t.Fatal("Spin did not return after Kill")
	}
	// A cancelled call poisons the sandbox.
	_, err = sb.Call("Add", int32(1), int32(2))
	wantCode(t, err, ErrorPoisoned)
	if r := h.Kill(); r != KillNotRunning {
		t.Fatalf("Kill after the call = %v, want KillNotRunning", r)
	}
}

func TestMisuseDuringACallIsBusy(t *testing.T) {
	sb := newTestSandbox(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	var inner []error
	err := sb.Register("HostAdd", func(a, b int32) int32 {
		// Re-entry from the host function itself.
		_, err := sb.Call("Add", a, b)
		inner = append(inner, err, sb.Close())
		close(entered)
		<-release
		return a + b
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan any, 1)
	go func() {
		result, err := sb.Call("AddViaHost", int32(40), int32(2))
		if err != nil {
			done <- err
			return
		}
		done <- result
	}()
	<-entered
	// From another goroutine while the call is inside HostAdd.
	_, err = sb.Call("Add", int32(1), int32(2))
	wantCode(t, err, ErrorBusy)
	wantCode(t, sb.Close(), ErrorBusy)
	wantCode(t, sb.Register("Other", func() {}), ErrorBusy)
	close(release)
	if got := <-done; got != int32(42) {
		t.Fatalf("AddViaHost = %#v, want int32(42)", got)
	}
	for _, err := range inner {
		wantCode(t, err, ErrorBusy)
	}
	if got := mustCall(t, sb, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add after the busy attempts = %#v", got)
	}
}

func TestKillDuringAHostFunction(t *testing.T) {
	sb := newTestSandbox(t)
	h, err := sb.InterruptHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	entered := make(chan struct{})
	release := make(chan struct{})
	if err := sb.Register("HostAdd", func(a, b int32) int32 { close(entered); <-release; return a + b }); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := sb.Call("AddViaHost", int32(1), int32(2))
		done <- err
	}()
	<-entered
	if r := h.Kill(); r != KillInterrupted {
		t.Fatalf("Kill during a host function = %v, want KillInterrupted", r)
	}
	close(release) // the host function finishes; the guest is not resumed
	wantCode(t, <-done, ErrorCancelled)
}

func TestCloseIsIdempotent(t *testing.T) {
	sb, err := NewSandbox(guestPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := sb.InterruptHandle()
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if r := h.Kill(); r != KillSandboxGone {
		t.Fatalf("Kill after Close = %v, want KillSandboxGone", r)
	}
	h.Close()
	h.Close()
	if r := h.Kill(); r != KillSandboxGone {
		t.Fatalf("Kill on a closed handle = %v, want KillSandboxGone", r)
	}
	_, err = sb.Call("Add", int32(1), int32(2))
	wantCode(t, err, ErrorInvalidArgument)
	wantCode(t, sb.Register("HostAdd", func() {}), ErrorInvalidArgument)
	_, err = sb.InterruptHandle()
	wantCode(t, err, ErrorInvalidArgument)
}

func TestCloseDeletesTheCallbackHandles(t *testing.T) {
	before := liveHostFuncs.Load()
	sb, err := NewSandbox(guestPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"HostAdd", "HostEcho"} {
		if err := sb.Register(name, func() {}); err != nil {
			t.Fatal(err)
		}
	}
	// A refused registration finalizes its handle at once.
	wantCode(t, sb.Register("HostAdd", func() {}), ErrorAlreadyRegistered)
	if got := liveHostFuncs.Load() - before; got != 2 {
		t.Fatalf("%d live handles after two registrations, want 2", got)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := liveHostFuncs.Load() - before; got != 0 {
		t.Fatalf("%d handles still live after Close, want 0", got)
	}
}

func TestForgottenSandboxIsFinalized(t *testing.T) {
	before := liveHostFuncs.Load()
	func() {
		sb, err := NewSandbox(guestPath(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
			t.Fatal(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for liveHostFuncs.Load() != before {
		if time.Now().After(deadline) {
			t.Fatal("the unreachable sandbox was never finalized")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSandboxFromBytesWithConfig(t *testing.T) {
	elf, err := os.ReadFile(guestPath())
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewSandboxFromBytes(elf, &Config{HeapSize: 1 << 20, StackSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for i := range elf {
		elf[i] = 0 // the image was copied
	}
	if got := mustCall(t, sb, "Add", int32(2), int32(3)); got != int32(5) {
		t.Fatalf("Add(2, 3) = %#v", got)
	}
}

func TestCreationErrors(t *testing.T) {
	_, err := NewSandbox(guestPath(), &Config{HeapSize: 1})
	if msg := wantCode(t, err, ErrorInvalidArgument); !strings.Contains(msg, "65536") {
		t.Fatalf("message %q should name the allowed range", msg)
	}
	_, err = NewSandbox("/nonexistent/guest.elf", nil)
	wantCode(t, err, ErrorIo)
	_, err = NewSandbox(guestPath()+"\x00ignored", nil)
	wantCode(t, err, ErrorInvalidArgument)
	_, err = NewSandboxFromBytes([]byte("definitely not an ELF"), nil)
	wantCode(t, err, ErrorInvalidElf)
	_, err = NewSandboxFromBytes(nil, nil)
	if err == nil {
		t.Fatal("NewSandboxFromBytes(nil) succeeded")
	}
}

func TestErrorMatching(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &Error{Code: ErrorCancelled, Message: "call cancelled"})
	if !errors.Is(err, &Error{Code: ErrorCancelled}) {
		t.Fatal("errors.Is does not match the code through wrapping")
	}
	if errors.Is(err, &Error{Code: ErrorBusy}) {
		t.Fatal("errors.Is matched a different code")
	}
	if want := "hyperlight: call cancelled (HL_ERROR_CANCELLED)"; !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("Error() = %q, want suffix %q", err.Error(), want)
	}
}
