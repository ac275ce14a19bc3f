package hyperlight

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// scribbleGuestPath is the guest with state kept between calls
// (CountCalls): $HYPERLIGHT_TEST_SCRIBBLE_GUEST, or scribbleguest.elf next
// to the test guest.
func scribbleGuestPath() string {
	if p := os.Getenv("HYPERLIGHT_TEST_SCRIBBLE_GUEST"); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(guestPath()), "scribbleguest.elf")
}

// takeSnapshot snapshots sb; the snapshot is closed when the test ends.
func takeSnapshot(t *testing.T, sb *Sandbox) *Snapshot {
	t.Helper()
	snap, err := sb.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	t.Cleanup(snap.Close)
	return snap
}

// newSandboxFromSnapshot makes a sandbox from snap that is closed when the
// test ends.
func newSandboxFromSnapshot(t *testing.T, snap *Snapshot, cfg *Config) *Sandbox {
	t.Helper()
	sb, err := NewSandboxFromSnapshot(snap, cfg)
	if err != nil {
		t.Fatalf("NewSandboxFromSnapshot: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sb
}

// newInitDataSandbox makes a simpleguest sandbox with writable init data
// "abc": WriteInitData changes guest memory, GetInitData shows it.
func newInitDataSandbox(t *testing.T) *Sandbox {
	return newConfiguredSandbox(t, guestPath(), &Config{InitData: []byte("abc"), InitDataFlags: MapRead | MapWrite})
}

func initData(t *testing.T, sb *Sandbox) string {
	t.Helper()
	return string(mustCall(t, sb, "GetInitData").([]byte))
}

func waitForLiveSnapshots(t *testing.T, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for liveSnapshots.Load() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d live snapshots, want %d", liveSnapshots.Load(), want)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRestoreReturnsGuestState(t *testing.T) {
	sb := newInitDataSandbox(t)
	if _, err := sb.CounterIncrement(); err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, sb)
	if snap.MemorySize() != sb.MemorySize() || snap.MemorySize() == 0 {
		t.Fatalf("snapshot MemorySize() = %d, sandbox %d", snap.MemorySize(), sb.MemorySize())
	}

	for round := 0; round < 3; round++ {
		if got := mustCall(t, sb, "WriteInitData"); got != int32(0xEE) {
			t.Fatalf("WriteInitData() = %#v", got)
		}
		if got := initData(t, sb); got != "\xeebc" {
			t.Fatalf("round %d: init data after WriteInitData = %q", round, got)
		}
		if _, err := sb.CounterIncrement(); err != nil {
			t.Fatal(err)
		}
		if err := sb.Restore(snap); err != nil {
			t.Fatalf("round %d: Restore: %v", round, err)
		}
		if got := initData(t, sb); got != "abc" {
			t.Fatalf("round %d: init data after Restore = %q, want %q", round, got, "abc")
		}
		if got := mustCall(t, sb, "ReadCounter"); got != int64(1) || sb.CounterValue() != 1 {
			t.Fatalf("round %d: counter after Restore: guest %#v, host %d; want 1", round, got, sb.CounterValue())
		}
	}
}

func TestRestoreResetsStateTheGuestKeeps(t *testing.T) {
	sb := newConfiguredSandbox(t, scribbleGuestPath(), nil)
	first := mustCall(t, sb, "CountCalls").(int64)
	snap := takeSnapshot(t, sb)
	for i := int64(1); i <= 3; i++ {
		if got := mustCall(t, sb, "CountCalls"); got != first+i {
			t.Fatalf("CountCalls() = %#v, want %d", got, first+i)
		}
	}
	if err := sb.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "CountCalls"); got != first+1 {
		t.Fatalf("CountCalls() after Restore = %#v, want %d", got, first+1)
	}
	// CallAndRestore calls from the current state (one call past the
	// snapshot), then restores: every later request starts from the snapshot.
	for i, want := range []int64{first + 2, first + 1, first + 1, first + 1} {
		got, err := sb.CallAndRestore(snap, "CountCalls")
		if err != nil || got != want {
			t.Fatalf("CallAndRestore(CountCalls) #%d = %#v, %v; want %d", i, got, err, want)
		}
	}
	if got := mustCall(t, sb, "CountCalls"); got != first+1 {
		t.Fatalf("CountCalls() after CallAndRestore = %#v, want %d", got, first+1)
	}
}

func TestRestoreClearsPoisoning(t *testing.T) {
	sb := newTestSandbox(t)
	snap := takeSnapshot(t, sb)
	_, err := sb.CallWithTimeout(20*time.Millisecond, "Spin")
	wantCode(t, err, ErrorTimeout)
	if got := sb.Status(); got != SandboxPoisoned {
		t.Fatalf("Status() after a timeout = %v", got)
	}
	_, err = sb.Snapshot()
	wantCode(t, err, ErrorPoisoned)
	_, err = sb.Call("Add", int32(1), int32(2))
	wantCode(t, err, ErrorPoisoned)

	if err := sb.Restore(snap); err != nil {
		t.Fatalf("Restore of a poisoned sandbox: %v", err)
	}
	if got := sb.Status(); got != SandboxReady {
		t.Fatalf("Status() after Restore = %v, want SandboxReady", got)
	}
	if got := mustCall(t, sb, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add after Restore = %#v", got)
	}

	// A killed call too.
	h, err := sb.InterruptHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	done := make(chan error, 1)
	go func() { _, err := sb.Call("Spin"); done <- err }()
	for h.Kill() != KillInterrupted {
		time.Sleep(time.Millisecond)
	}
	wantCode(t, <-done, ErrorCancelled)
	if err := sb.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "Echo", "alive"); got != "alive" || sb.Status() != SandboxReady {
		t.Fatalf("Echo after Restore = %#v, status %v", got, sb.Status())
	}
}

func TestCallAndRestore(t *testing.T) {
	sb := newInitDataSandbox(t)
	snap := takeSnapshot(t, sb)
	for i := 0; i < 3; i++ {
		got, err := sb.CallAndRestore(snap, "WriteInitData")
		if err != nil || got != int32(0xEE) {
			t.Fatalf("CallAndRestore(WriteInitData) = %#v, %v", got, err)
		}
		if got := initData(t, sb); got != "abc" {
			t.Fatalf("init data after CallAndRestore = %q, want %q", got, "abc")
		}
	}
	// Results come back as from Call.
	if got, err := sb.CallAndRestore(snap, "Echo", "a string result"); err != nil || got != "a string result" {
		t.Fatalf("CallAndRestore(Echo) = %#v, %v", got, err)
	}
	if got, err := sb.CallAndRestore(snap, "PrintHello"); err != nil || got != nil {
		t.Fatalf("CallAndRestore(PrintHello) = %#v, %v; want nil, nil", got, err)
	}
	got, err := sb.CallAndRestore(snap, "GetInitData")
	if b, ok := got.([]byte); err != nil || !ok || !bytes.Equal(b, []byte("abc")) {
		t.Fatalf("CallAndRestore(GetInitData) = %#v, %v", got, err)
	}
	// Errors are the call's, and the sandbox is restored anyway.
	_, err = sb.CallAndRestore(snap, "NoSuchFunction")
	wantCode(t, err, ErrorGuestFunctionNotFound)
	_, err = sb.CallAndRestore(snap, "Add", int32(1), 2)
	wantCode(t, err, ErrorInvalidArgument)
	_, err = sb.CallAndRestore(snap, "Abort", int32(7))
	if err == nil {
		t.Fatal("CallAndRestore(Abort) succeeded")
	}
	if got := sb.Status(); got != SandboxReady {
		t.Fatalf("Status() after an aborted CallAndRestore = %v, want SandboxReady", got)
	}
	if got := mustCall(t, sb, "Add", int32(2), int32(3)); got != int32(5) {
		t.Fatalf("Add after CallAndRestore = %#v", got)
	}
}

func TestCallAndRestoreAfterATimeout(t *testing.T) {
	sb := newSandboxWithTimeout(t, 50*time.Millisecond)
	snap := takeSnapshot(t, sb)
	_, err := sb.CallAndRestore(snap, "Spin")
	wantCode(t, err, ErrorTimeout)
	if got := sb.Status(); got != SandboxReady {
		t.Fatalf("Status() after a timed-out CallAndRestore = %v, want SandboxReady", got)
	}
	// A sandbox poisoned by a plain call is restored before the call.
	_, err = sb.Call("Spin")
	wantCode(t, err, ErrorTimeout)
	if got, err := sb.CallAndRestore(snap, "Add", int32(40), int32(2)); err != nil || got != int32(42) {
		t.Fatalf("CallAndRestore on a poisoned sandbox = %#v, %v", got, err)
	}
	if got := sb.Status(); got != SandboxReady {
		t.Fatalf("Status() = %v, want SandboxReady", got)
	}
}

func TestNewSandboxFromSnapshotWithAHostFunction(t *testing.T) {
	origin := newTestSandbox(t)
	if err := origin.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	if _, err := origin.CounterIncrement(); err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, origin)

	sb := newSandboxFromSnapshot(t, snap, nil)
	if sb.MemorySize() != origin.MemorySize() {
		t.Fatalf("MemorySize() = %d, want the origin's %d", sb.MemorySize(), origin.MemorySize())
	}
	if got := mustCall(t, sb, "ReadCounter"); got != int64(1) {
		t.Fatalf("ReadCounter() in the new sandbox = %#v, want 1 (the snapshot's)", got)
	}
	// Host functions are not part of a snapshot.
	_, err := sb.Call("AddViaHost", int32(1), int32(2))
	if err == nil {
		t.Fatal("AddViaHost succeeded without HostAdd registered")
	}
	// Restoring the snapshot needs HostAdd, with its signature.
	wantCode(t, sb.Restore(snap), ErrorSnapshotMismatch)
	calls := 0
	if err := sb.Register("HostAdd", func(a, b int32) int32 { calls++; return a * b }); err != nil {
		t.Fatal(err)
	}
	if err := sb.Restore(snap); err != nil {
		t.Fatalf("Restore with HostAdd registered: %v", err)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(6), int32(7)); got != int32(42) || calls != 1 {
		t.Fatalf("AddViaHost(6, 7) = %#v with %d host calls; want 42 from this sandbox's HostAdd", got, calls)
	}
	if got := mustCall(t, origin, "AddViaHost", int32(6), int32(7)); got != int32(13) {
		t.Fatalf("AddViaHost(6, 7) in the origin = %#v, want 13", got)
	}

	other := newSandboxFromSnapshot(t, snap, nil)
	if err := other.Register("HostAdd", func(a, b int64) int64 { return a + b }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, other.Restore(snap), ErrorSnapshotMismatch) // another signature
}

func TestNewSandboxFromSnapshotUsesTheRuntimeConfig(t *testing.T) {
	snap := takeSnapshot(t, newTestSandbox(t))
	var rec logRecorder
	// The sizes and init data come from the snapshot: invalid ones here are
	// ignored, not refused.
	sb := newSandboxFromSnapshot(t, snap, &Config{
		CallTimeout: 50 * time.Millisecond,
		HeapSize:    1,
		InitData:    []byte("ignored"),
		MaxLogLevel: levelPtr(LogInfo),
		Logger:      rec.log,
	})
	if sb.MemorySize() != snap.MemorySize() {
		t.Fatalf("MemorySize() = %d, want the snapshot's %d", sb.MemorySize(), snap.MemorySize())
	}
	_, err := sb.Call("Spin")
	wantCode(t, err, ErrorTimeout)
	_, err = NewSandboxFromSnapshot(snap, &Config{CallTimeout: -time.Second})
	wantCode(t, err, ErrorInvalidArgument)
}

func TestRestoreOntoAnotherLayoutIsAMismatch(t *testing.T) {
	sb := newTestSandbox(t)
	snap := takeSnapshot(t, sb)
	small := newConfiguredSandbox(t, guestPath(), &Config{HeapSize: 1 << 20})
	err := small.Restore(snap)
	if msg := wantCode(t, err, ErrorSnapshotMismatch); msg == "" {
		t.Fatal("the mismatch has no message")
	}
	_, err = small.CallAndRestore(snap, "Add", int32(1), int32(2))
	wantCode(t, err, ErrorSnapshotMismatch)
	// Nothing changed.
	if got := small.Status(); got != SandboxReady {
		t.Fatalf("Status() after a refused restore = %v", got)
	}
	if got := mustCall(t, small, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add after a refused restore = %#v", got)
	}
	// Another sandbox with the same layout fits.
	twin := newTestSandbox(t)
	if err := twin.Restore(snap); err != nil {
		t.Fatalf("Restore onto a sandbox of the same guest and sizes: %v", err)
	}
}

func TestSnapshotCloseAndUseAfterClose(t *testing.T) {
	sb := newTestSandbox(t)
	snap, err := sb.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	made, err := NewSandboxFromSnapshot(snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer made.Close()
	before := liveSnapshots.Load()
	snap.Close()
	snap.Close()
	if got := liveSnapshots.Load(); got != before-1 {
		t.Fatalf("%d live snapshots after Close, want %d", got, before-1)
	}
	if snap.MemorySize() != 0 {
		t.Fatal("a closed snapshot reports a size")
	}
	checkClosed := func(what string, err error) {
		t.Helper()
		if msg := wantCode(t, err, ErrorInvalidArgument); !strings.Contains(msg, "snapshot is closed") {
			t.Fatalf("%s: message %q does not say the snapshot is closed", what, msg)
		}
	}
	checkClosed("Restore", sb.Restore(snap))
	_, err = sb.CallAndRestore(snap, "Add", int32(1), int32(2))
	checkClosed("CallAndRestore", err)
	_, err = NewSandboxFromSnapshot(snap, nil)
	checkClosed("NewSandboxFromSnapshot", err)
	checkClosed("Save", snap.Save(filepath.Join(t.TempDir(), "closed.snap")))

	var none *Snapshot
	wantCode(t, sb.Restore(none), ErrorInvalidArgument)
	_, err = sb.CallAndRestore(none, "Add", int32(1), int32(2))
	wantCode(t, err, ErrorInvalidArgument)
	_, err = NewSandboxFromSnapshot(nil, nil)
	wantCode(t, err, ErrorInvalidArgument)
	if none.MemorySize() != 0 {
		t.Fatal("a nil snapshot reports a size")
	}

	// Sandboxes do not need the snapshot any more.
	if got := mustCall(t, made, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add in a sandbox whose snapshot is closed = %#v", got)
	}
	if got := mustCall(t, sb, "Add", int32(2), int32(2)); got != int32(4) {
		t.Fatalf("Add in the origin = %#v", got)
	}

	// Snapshot methods on a closed sandbox.
	closed, err := NewSandbox(guestPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = closed.Snapshot()
	wantCode(t, err, ErrorInvalidArgument)
	other := takeSnapshot(t, sb)
	wantCode(t, closed.Restore(other), ErrorInvalidArgument)
	_, err = closed.CallAndRestore(other, "Add", int32(1), int32(2))
	wantCode(t, err, ErrorInvalidArgument)
}

func TestSnapshotClosedDuringCallAndRestore(t *testing.T) {
	sb := newTestSandbox(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	if err := sb.Register("HostAdd", func(a, b int32) int32 { close(entered); <-release; return a + b }); err != nil {
		t.Fatal(err)
	}
	snap, err := sb.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	before := liveSnapshots.Load()
	done := make(chan any, 1)
	go func() {
		got, err := sb.CallAndRestore(snap, "AddViaHost", int32(40), int32(2))
		if err != nil {
			done <- err
			return
		}
		done <- got
	}()
	<-entered
	// Close does not wait, nor free the snapshot under the running call.
	snap.Close()
	if got := liveSnapshots.Load(); got != before {
		t.Fatalf("the snapshot was freed during the call (%d live, want %d)", got, before)
	}
	// During the call: the sandbox is busy for every other operation.
	wantCode(t, sb.Restore(snap), ErrorInvalidArgument) // closed
	_, err = sb.Snapshot()
	wantCode(t, err, ErrorBusy)
	close(release)
	if got := <-done; got != int32(42) {
		t.Fatalf("CallAndRestore(AddViaHost) = %#v, want 42", got)
	}
	if got := liveSnapshots.Load(); got != before-1 {
		t.Fatalf("%d live snapshots after the call, want %d", got, before-1)
	}
}

func TestSnapshotAndRestoreDuringACallAreBusy(t *testing.T) {
	sb := newTestSandbox(t)
	snap := takeSnapshot(t, sb)
	var inner []error
	err := sb.Register("HostAdd", func(a, b int32) int32 {
		_, err := sb.Snapshot()
		inner = append(inner, err, sb.Restore(snap))
		_, err = sb.CallAndRestore(snap, "Add", a, b)
		inner = append(inner, err)
		return a + b
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("AddViaHost = %#v", got)
	}
	if len(inner) != 3 {
		t.Fatalf("%d errors recorded, want 3", len(inner))
	}
	for _, err := range inner {
		wantCode(t, err, ErrorBusy)
	}
}

func TestForgottenSnapshotIsFinalized(t *testing.T) {
	sb := newTestSandbox(t)
	before := liveSnapshots.Load()
	func() {
		if _, err := sb.Snapshot(); err != nil {
			t.Fatal(err)
		}
	}()
	waitForLiveSnapshots(t, before)
}

func TestConcurrentSandboxesFromOneSnapshot(t *testing.T) {
	origin := newTestSandbox(t)
	if err := origin.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, origin)
	const goroutines, rounds = 8, 4
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*rounds)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int32) {
			defer wg.Done()
			for r := int32(0); r < rounds; r++ {
				sb, err := NewSandboxFromSnapshot(snap, nil)
				if err != nil {
					errs <- err
					return
				}
				err = sb.Register("HostAdd", func(a, b int32) int32 { return a + b + g })
				if err == nil {
					var got any
					got, err = sb.Call("AddViaHost", r, int32(100))
					if err == nil && got != r+100+g {
						t.Errorf("goroutine %d: AddViaHost(%d, 100) = %#v, want %d", g, r, got, r+100+g)
					}
				}
				if err == nil {
					var got any
					got, err = sb.CallAndRestore(snap, "Add", g, r)
					if err == nil && got != g+r {
						t.Errorf("goroutine %d: CallAndRestore(Add) = %#v", g, got)
					}
				}
				if closeErr := sb.Close(); err == nil {
					err = closeErr
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(int32(g))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSnapshotHoldsMappedMemory(t *testing.T) {
	m := newPatternMemory(t, 4096) // closed last, after the sandboxes
	sb := newTestSandbox(t)
	if err := sb.MapRegion(m, guestAddress, MapRead); err != nil {
		t.Fatal(err)
	}
	snap, err := sb.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if err := sb.UnmapRegion(guestAddress); err != nil {
		t.Fatal(err)
	}
	// The snapshot would map it again: it cannot be freed.
	wantCode(t, m.Close(), ErrorBusy)
	_, err = readGuest(sb, guestAddress)
	wantCode(t, err, ErrorMemoryAccessViolation)

	if err := sb.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got, err := readGuest(sb, guestAddress+8); err != nil || got != pattern(8) {
		t.Fatalf("ReadAddress after Restore = %#x, %v; want %#x", got, err, pattern(8))
	}
	made := newSandboxFromSnapshot(t, snap, nil)
	if got, err := readGuest(made, guestAddress+16); err != nil || got != pattern(16) {
		t.Fatalf("ReadAddress in a sandbox from the snapshot = %#x, %v; want %#x", got, err, pattern(16))
	}
	// Such a snapshot points at host memory: it cannot go to a file.
	wantCode(t, snap.Save(filepath.Join(t.TempDir(), "mapped.snap")), ErrorInvalidArgument)

	snap.Close()
	wantCode(t, m.Close(), ErrorBusy) // still mapped in sb and made
	for _, s := range []*Sandbox{sb, made} {
		if err := s.UnmapRegion(guestAddress); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatalf("SharedMemory.Close once unmapped and the snapshot closed: %v", err)
	}
}

func TestRestoreUnmapsRegionsMappedSince(t *testing.T) {
	m := newPatternMemory(t, 4096)
	sb := newTestSandbox(t)
	snap := takeSnapshot(t, sb)
	if err := sb.MapRegion(m, guestAddress, MapRead); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.CallAndRestore(snap, "Add", int32(1), int32(2)); err != nil {
		t.Fatal(err)
	}
	// The snapshot had no region: the restore unmapped it and released m.
	_, err := readGuest(sb, guestAddress)
	wantCode(t, err, ErrorMemoryAccessViolation)
	wantCode(t, sb.UnmapRegion(guestAddress), ErrorRegionNotFound)
	if err := m.Close(); err != nil {
		t.Fatalf("SharedMemory.Close after a restore unmapped it: %v", err)
	}
}

// The library, not the binding, decides when SharedMemory is free: a
// sandbox does not keep the snapshot it took, so closing the snapshot frees
// memory the sandbox no longer maps, and a failed map holds nothing.
func TestClosingTheSnapshotReleasesMemoryTheSandboxUnmapped(t *testing.T) {
	m := newPatternMemory(t, 4096)
	sb := newTestSandbox(t)
	if err := sb.MapRegion(m, guestAddress, MapRead); err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, sb)
	if err := sb.UnmapRegion(guestAddress); err != nil {
		t.Fatal(err)
	}
	wantCode(t, m.Close(), ErrorBusy) // the snapshot would map it again
	wantCode(t, sb.MapRegion(m, guestAddress+1, MapRead), ErrorNotAligned)
	wantCode(t, m.Close(), ErrorBusy) // still only the snapshot's hold
	snap.Close()
	if err := m.Close(); err != nil {
		t.Fatalf("SharedMemory.Close with the sandbox alive and its snapshot closed: %v", err)
	}
	if got := mustCall(t, sb, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add after its baseline snapshot was closed = %#v", got)
	}
}

func TestSaveAndLoadSnapshot(t *testing.T) {
	sb := newInitDataSandbox(t)
	if err := sb.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	mustCall(t, sb, "WriteInitData")
	if _, err := sb.CounterIncrement(); err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, sb)
	dir := t.TempDir()
	path := filepath.Join(dir, "sandbox.snap")
	if err := snap.Save(path); err != nil {
		t.Fatalf("Save: %v", err)
	}
	loaded, err := LoadSnapshot(path)
	if err != nil {
		t.Fatalf("LoadSnapshot: %v", err)
	}
	defer loaded.Close()
	if loaded.MemorySize() != snap.MemorySize() {
		t.Fatalf("loaded MemorySize() = %d, saved %d", loaded.MemorySize(), snap.MemorySize())
	}
	made := newSandboxFromSnapshot(t, loaded, nil)
	if err := made.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, made, "AddViaHost", int32(40), int32(2)); got != int32(42) {
		t.Fatalf("AddViaHost in a sandbox from a loaded snapshot = %#v", got)
	}
	if got := initData(t, made); got != "\xeebc" {
		t.Fatalf("init data from the loaded snapshot = %q, want the saved state %q", got, "\xeebc")
	}
	if got := mustCall(t, made, "ReadCounter"); got != int64(1) {
		t.Fatalf("ReadCounter() from the loaded snapshot = %#v, want 1", got)
	}
	// The loaded snapshot restores onto the origin too.
	mustCall(t, sb, "Add", int32(1), int32(1))
	if err := sb.Restore(loaded); err != nil {
		t.Fatalf("Restore of the loaded snapshot onto its origin: %v", err)
	}

	garbage := filepath.Join(dir, "garbage.snap")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a snapshot "), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSnapshot(garbage)
	wantCode(t, err, ErrorSnapshotCorrupt)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.snap")
	if err := os.WriteFile(truncated, good[:len(good)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSnapshot(truncated)
	wantCode(t, err, ErrorSnapshotCorrupt)
	_, err = LoadSnapshot(filepath.Join(dir, "missing.snap"))
	wantCode(t, err, ErrorIo)
	_, err = LoadSnapshot(path + "\x00")
	wantCode(t, err, ErrorInvalidArgument)
	wantCode(t, snap.Save(path+"\x00"), ErrorInvalidArgument)
	wantCode(t, snap.Save(filepath.Join(dir, "no", "such", "dir.snap")), ErrorIo)
}

// Closed sandboxes made from a snapshot may be kept warm by the library and
// handed to the next NewSandboxFromSnapshot: nothing of the closed one may
// leak into it.
func TestClosingASandboxFromASnapshot(t *testing.T) {
	snap := takeSnapshot(t, newTestSandbox(t))
	before := liveHostFuncs.Load()
	for round := 0; round < 3; round++ {
		sb, err := NewSandboxFromSnapshot(snap, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := sb.InterruptHandle()
		if err != nil {
			t.Fatal(err)
		}
		// Registering HostAdd succeeds every round: the last round's is gone.
		if err := sb.Register("HostAdd", func(a, b int32) int32 { return a - b }); err != nil {
			t.Fatalf("round %d: Register: %v", round, err)
		}
		if got := mustCall(t, sb, "AddViaHost", int32(5), int32(3)); got != int32(2) {
			t.Fatalf("round %d: AddViaHost = %#v", round, got)
		}
		if _, err := sb.CounterIncrement(); err != nil {
			t.Fatal(err)
		}
		if err := sb.Close(); err != nil {
			t.Fatal(err)
		}
		if got := liveHostFuncs.Load() - before; got != 0 {
			t.Fatalf("round %d: %d host-function handles live after Close", round, got)
		}
		if r := h.Kill(); r != KillSandboxGone {
			t.Fatalf("round %d: Kill after Close = %v, want KillSandboxGone", round, r)
		}
		h.Close()
		next := newSandboxFromSnapshot(t, snap, nil)
		if got := mustCall(t, next, "ReadCounter"); got != int64(0) {
			t.Fatalf("round %d: the next sandbox's counter = %#v, want the snapshot's 0", round, got)
		}
		if err := next.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoggerOfASandboxFromASnapshot(t *testing.T) {
	// The guest keeps the level it was started with in its memory, and the
	// snapshot with it: a sandbox from the snapshot can only filter more.
	origin := newConfiguredSandbox(t, sdkGuestPath(), &Config{MaxLogLevel: levelPtr(LogTrace), Logger: func(LogLevel, string, uint32, string) {}})
	snap := takeSnapshot(t, origin)
	before := liveLoggers.Load()
	for round := 0; round < 3; round++ {
		var rec logRecorder
		sb, err := NewSandboxFromSnapshot(snap, &Config{MaxLogLevel: levelPtr(LogWarn), Logger: rec.log})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.take(); len(got) != 0 {
			t.Fatalf("round %d: records before any call (no initialisation runs): %+v", round, got)
		}
		mustCall(t, sb, "LogAllLevels")
		records := rec.take()
		if len(records) != 2 || records[0].message != "error record 1" || records[1].message != "warn record 2" {
			t.Fatalf("round %d: LogAllLevels at LogWarn gave %+v, want the error and warn records", round, records)
		}
		if err := sb.Close(); err != nil {
			t.Fatal(err)
		}
		if got := liveLoggers.Load() - before; got != 0 {
			t.Fatalf("round %d: %d logger handles live after Close", round, got)
		}
	}
}
