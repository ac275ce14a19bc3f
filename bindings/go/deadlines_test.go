package hyperlight

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileGuestPath is the guest that misbehaves on request (its init data
// "spin-in-init" makes its initialisation spin forever):
// $HYPERLIGHT_TEST_HOSTILE_GUEST, or hostileguest.elf next to the test guest.
func hostileGuestPath() string {
	if p := os.Getenv("HYPERLIGHT_TEST_HOSTILE_GUEST"); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(guestPath()), "hostileguest.elf")
}

func TestCallWithTimeoutStopsSpinAndPoisons(t *testing.T) {
	sb := newTestSandbox(t)
	if got := sb.Status(); got != SandboxReady {
		t.Fatalf("Status() of a fresh sandbox = %v, want SandboxReady", got)
	}
	start := time.Now()
	_, err := sb.CallWithTimeout(50*time.Millisecond, "Spin")
	wantCode(t, err, ErrorTimeout)
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("Spin with a 50 ms limit took %v", elapsed)
	}
	if got := sb.Status(); got != SandboxPoisoned {
		t.Fatalf("Status() after a timeout = %v, want SandboxPoisoned", got)
	}
	_, err = sb.Call("Add", int32(1), int32(2))
	wantCode(t, err, ErrorPoisoned)
}

func TestCallWithTimeoutReturnsTheResult(t *testing.T) {
	sb := newTestSandbox(t)
	got, err := sb.CallWithTimeout(2*time.Second, "Add", int32(40), int32(2))
	if err != nil || got != int32(42) {
		t.Fatalf("CallWithTimeout(Add(40, 2)) = %#v, %v; want int32(42), nil", got, err)
	}
	_, err = sb.CallWithTimeout(-time.Second, "Add", int32(1), int32(2))
	wantCode(t, err, ErrorInvalidArgument)
}

func TestStatusOfAClosedSandboxIsPoisoned(t *testing.T) {
	sb, err := NewSandbox(guestPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := sb.Status(); got != SandboxPoisoned {
		t.Fatalf("Status() of a closed sandbox = %v, want SandboxPoisoned", got)
	}
}

func newSandboxWithTimeout(t *testing.T, timeout time.Duration) *Sandbox {
	t.Helper()
	sb, err := NewSandbox(guestPath(), &Config{CallTimeout: timeout})
	if err != nil {
		t.Fatalf("NewSandbox with CallTimeout %v: %v", timeout, err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sb
}

func TestConfigCallTimeoutApplies(t *testing.T) {
	sb := newSandboxWithTimeout(t, 500*time.Millisecond)
	_, err := sb.Call("Spin")
	wantCode(t, err, ErrorTimeout)
	if got := sb.Status(); got != SandboxPoisoned {
		t.Fatalf("Status() after a timeout = %v, want SandboxPoisoned", got)
	}

	fast := newSandboxWithTimeout(t, 2*time.Second)
	for i := int32(0); i < 200; i++ {
		got, err := fast.Call("Add", i, int32(1))
		if err != nil || got != i+1 {
			t.Fatalf("call %d: Add(%d, 1) = %#v, %v", i, i, got, err)
		}
	}
	if got := fast.Status(); got != SandboxReady {
		t.Fatalf("Status() after 200 fast calls = %v, want SandboxReady", got)
	}

	_, err = NewSandbox(guestPath(), &Config{CallTimeout: -time.Second})
	wantCode(t, err, ErrorInvalidArgument)
}

func TestInitTimeoutStopsAGuestSpinningInItsInitialisation(t *testing.T) {
	start := time.Now()
	sb, err := NewSandbox(hostileGuestPath(), &Config{
		InitData:    []byte("spin-in-init"),
		InitTimeout: 100 * time.Millisecond,
	})
	elapsed := time.Since(start)
	if sb != nil {
		sb.Close()
		t.Fatal("NewSandbox accepted a guest that spins in its initialisation")
	}
	msg := wantCode(t, err, ErrorTimeout)
	if !strings.Contains(msg, "hl_config_set_init_timeout_ns") {
		t.Errorf("the message %q does not name hl_config_set_init_timeout_ns", msg)
	}
	// Well below the library's default of 10 s: the 100 ms limit applied.
	if elapsed > 5*time.Second {
		t.Fatalf("NewSandbox with a 100 ms InitTimeout took %v", elapsed)
	}

	// Other init data: the same guest starts, the process is unharmed.
	ok := newConfiguredSandbox(t, hostileGuestPath(), &Config{InitData: []byte("spin-in-init?"), InitTimeout: 5 * time.Second})
	if got := ok.Status(); got != SandboxReady {
		t.Fatalf("Status() of the hostile guest started normally = %v, want SandboxReady", got)
	}
	if got := mustCall(t, newTestSandbox(t), "Add", int32(40), int32(2)); got != int32(42) {
		t.Fatalf("Add(40, 2) after an initialisation timeout = %#v, want int32(42)", got)
	}
}

func TestInitTimeoutValues(t *testing.T) {
	_, err := NewSandbox(guestPath(), &Config{InitTimeout: -time.Second})
	wantCode(t, err, ErrorInvalidArgument)
	_, err = NewSandboxFromBytes(nil, &Config{InitTimeout: -time.Nanosecond})
	wantCode(t, err, ErrorInvalidArgument)

	// The call time limit does not bound the initialisation any more: a
	// 1 ns CallTimeout still lets the guest start.
	sb := newConfiguredSandbox(t, guestPath(), &Config{CallTimeout: time.Nanosecond})
	if got := sb.Status(); got != SandboxReady {
		t.Fatalf("Status() with a 1 ns CallTimeout = %v, want SandboxReady", got)
	}
	// A sandbox made from a snapshot runs no initialisation: InitTimeout
	// is ignored there, even a negative one.
	snap, err := newTestSandbox(t).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	fromSnap, err := NewSandboxFromSnapshot(snap, &Config{InitTimeout: -time.Second})
	if err != nil {
		t.Fatalf("NewSandboxFromSnapshot with a negative InitTimeout: %v", err)
	}
	if err := fromSnap.Close(); err != nil {
		t.Fatal(err)
	}
}

// Durations too long for the library's clock mean no limit; they used to
// overflow into an immediate timeout.
func TestHugeTimeLimitsMeanNone(t *testing.T) {
	if NoTimeLimit != time.Duration(math.MaxInt64) {
		t.Fatalf("NoTimeLimit = %d, want math.MaxInt64", NoTimeLimit)
	}
	for _, d := range []time.Duration{NoTimeLimit, math.MaxInt64 - 1, 1 << 62} {
		sb := newConfiguredSandbox(t, guestPath(), &Config{CallTimeout: d, InitTimeout: d})
		for i := int32(0); i < 10; i++ {
			got, err := sb.Call("Add", i, int32(1))
			if err != nil || got != i+1 {
				t.Fatalf("CallTimeout %d: Add(%d, 1) = %#v, %v; want int32(%d), nil", d, i, got, err, i+1)
			}
		}
		got, err := sb.CallWithTimeout(d, "Add", int32(40), int32(2))
		if err != nil || got != int32(42) {
			t.Fatalf("CallWithTimeout(%d, Add(40, 2)) = %#v, %v; want int32(42), nil", d, got, err)
		}
		if got := sb.Status(); got != SandboxReady {
			t.Fatalf("Status() after calls with the limit %d = %v, want SandboxReady", d, got)
		}
	}
	// CallWithTimeout(math.MaxInt64) on a sandbox without a default limit.
	got, err := newTestSandbox(t).CallWithTimeout(math.MaxInt64, "Add", int32(1), int32(2))
	if err != nil || got != int32(3) {
		t.Fatalf("CallWithTimeout(math.MaxInt64, Add(1, 2)) = %#v, %v; want int32(3), nil", got, err)
	}
}

func TestCallContextCancelsSpin(t *testing.T) {
	sb := newTestSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(20*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := sb.CallContext(ctx, "Spin")
		done <- err
	}()
	select {
	case err := <-done:
		wantCode(t, err, ErrorCancelled)
	case <-time.After(20 * time.Second):
		t.Fatal("CallContext: Spin still runs 20 s after the context was cancelled")
	}
	if got := sb.Status(); got != SandboxPoisoned {
		t.Fatalf("Status() after a cancellation = %v, want SandboxPoisoned", got)
	}
}

func TestCallContextWithALiveContext(t *testing.T) {
	sb := newTestSandbox(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := sb.CallContext(ctx, "Add", int32(40), int32(2))
	if err != nil || got != int32(42) {
		t.Fatalf("CallContext(Add(40, 2)) = %#v, %v; want int32(42), nil", got, err)
	}
	cancel()
	_, err = sb.CallContext(ctx, "Add", int32(1), int32(2))
	wantCode(t, err, ErrorCancelled)
	if got := sb.Status(); got != SandboxReady {
		t.Fatalf("Status() after a call refused before it started = %v, want SandboxReady", got)
	}
}
