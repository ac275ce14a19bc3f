package hyperlight

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// newHostFunctions makes a set that is closed when the test ends.
func newHostFunctions(t *testing.T) *HostFunctions {
	t.Helper()
	fns, err := NewHostFunctions()
	if err != nil {
		t.Fatalf("NewHostFunctions: %v", err)
	}
	t.Cleanup(func() { _ = fns.Close() })
	return fns
}

func TestHostFunctionsServeSeveralSandboxes(t *testing.T) {
	var calls atomic.Int32
	fns := newHostFunctions(t)
	if err := fns.Add("HostAdd", func(a, b int32) int32 { calls.Add(1); return a + b + 100 }); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{HostFunctions: fns}
	first := newConfiguredSandbox(t, guestPath(), cfg)
	second := newConfiguredSandbox(t, guestPath(), cfg)
	fromSnapshot := newSandboxFromSnapshot(t, takeSnapshot(t, first), cfg)
	var wg sync.WaitGroup
	for i, sb := range []*Sandbox{first, second, fromSnapshot} {
		wg.Add(1)
		go func(i int32, sb *Sandbox) {
			defer wg.Done()
			for j := int32(0); j < 20; j++ {
				got, err := sb.Call("AddViaHost", i, j)
				if err != nil || got != i+j+100 {
					t.Errorf("sandbox %d: AddViaHost(%d, %d) = %v, %v", i, i, j, got, err)
					return
				}
			}
		}(int32(i), sb)
	}
	wg.Wait()
	if got := calls.Load(); got != 60 {
		t.Fatalf("HostAdd ran %d times, want 60", got)
	}
}

func TestHostFunctionsFreezeWhenASandboxIsMade(t *testing.T) {
	fns := newHostFunctions(t)
	if err := fns.Add("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, fns.Add("HostAdd", func() {}), ErrorAlreadyRegistered)
	sb := newConfiguredSandbox(t, guestPath(), &Config{HostFunctions: fns})
	msg := wantCode(t, fns.Add("HostEcho", func(s string) string { return s }), ErrorHostFunctionsFrozen)
	if !strings.Contains(msg, "hl_host_functions_new") {
		t.Errorf("message %q does not say to make a new set", msg)
	}
	// The sandbox registers other names for itself, not the set's.
	wantCode(t, sb.Register("HostAdd", func(a, b int32) int32 { return 0 }), ErrorAlreadyRegistered)
	if err := sb.Register("HostEcho", func(s string) string { return s + "!" }); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "EchoViaHost", "hi"); got != "hi!" {
		t.Fatalf("EchoViaHost = %v", got)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(2), int32(3)); got != int32(5) {
		t.Fatalf("AddViaHost = %v", got)
	}
}

func TestHostFunctionsAreCheckedAgainstTheSnapshotAtCreation(t *testing.T) {
	source := newTestSandbox(t)
	if err := source.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, source)

	empty := newHostFunctions(t)
	_, err := NewSandboxFromSnapshot(snap, &Config{HostFunctions: empty})
	msg := wantCode(t, err, ErrorSnapshotMismatch)
	if !strings.Contains(msg, "'HostAdd'") {
		t.Errorf("message %q does not name HostAdd", msg)
	}
	other := newHostFunctions(t)
	if err := other.Add("HostAdd", func(a, b int64) int64 { return a + b }); err != nil {
		t.Fatal(err)
	}
	_, err = NewSandboxFromSnapshot(snap, &Config{HostFunctions: other})
	wantCode(t, err, ErrorSnapshotMismatch)

	good := newHostFunctions(t)
	if err := good.Add("HostAdd", func(a, b int32) int32 { return a * b }); err != nil {
		t.Fatal(err)
	}
	sb := newSandboxFromSnapshot(t, snap, &Config{HostFunctions: good})
	if got := mustCall(t, sb, "AddViaHost", int32(6), int32(7)); got != int32(42) {
		t.Fatalf("AddViaHost = %v, want the set's product 42", got)
	}
}

func TestHostFunctionsLiveWhileTheirSandboxesDo(t *testing.T) {
	before := liveHostFuncs.Load()
	fns, err := NewHostFunctions()
	if err != nil {
		t.Fatal(err)
	}
	if err := fns.Add("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	sb, err := NewSandbox(guestPath(), &Config{HostFunctions: fns})
	if err != nil {
		t.Fatal(err)
	}
	if err := fns.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fns.Close(); err != nil { // a second Close does nothing
		t.Fatal(err)
	}
	wantCode(t, fns.Add("HostEcho", func() {}), ErrorInvalidArgument)
	_, err = NewSandbox(guestPath(), &Config{HostFunctions: fns})
	wantCode(t, err, ErrorInvalidArgument)
	if got := liveHostFuncs.Load() - before; got != 1 {
		t.Fatalf("%d live handles while the sandbox lives, want 1", got)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("AddViaHost = %v", got)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := liveHostFuncs.Load() - before; got != 0 {
		t.Fatalf("%d handles still live after the last holder went, want 0", got)
	}
}
