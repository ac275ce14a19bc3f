package hyperlight

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Kills spinning guests from other goroutines while the Go runtime is busy:
// goroutines allocate and force collections, the scheduler preempts with
// SIGURG, and a bystander sandbox runs short calls throughout. Every killed
// call must end Cancelled within a bound (no missed kill), and no call of
// the bystander may be cancelled (no false kill). The killed sandboxes take
// turns between the default engine and one with another signal; the
// bystander uses the default engine. scripts/test.sh runs this test 20
// times (-count=20).
func TestKillWhileTheGoRuntimeIsBusy(t *testing.T) {
	engine := newTestEngine(t, &EngineOptions{InterruptSignalOffset: u32(11)})
	stop := make(chan struct{})
	var churn sync.WaitGroup
	for i := 0; i < 4; i++ {
		churn.Add(1)
		go func() {
			defer churn.Done()
			var keep [][]byte
			for {
				select {
				case <-stop:
					return
				default:
				}
				keep = append(keep, make([]byte, 64<<10))
				if len(keep) > 64 {
					keep = nil
					runtime.GC()
				}
			}
		}()
	}
	defer func() {
		close(stop)
		churn.Wait()
	}()

	bystander := newTestSandbox(t)
	var bystanderCalls, bystanderFailures atomic.Int64
	stopBystander := make(chan struct{})
	bystanderDone := make(chan struct{})
	go func() {
		defer close(bystanderDone)
		for {
			select {
			case <-stopBystander:
				return
			default:
			}
			if _, err := bystander.Call("Add", int32(1), int32(2)); err != nil {
				bystanderFailures.Add(1)
			}
			bystanderCalls.Add(1)
		}
	}()

	for round := 0; round < 6; round++ {
		var cfg *Config // the default engine
		if round%2 == 1 {
			cfg = &Config{Engine: engine}
		}
		sb, err := NewSandbox(guestPath(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		handle, err := sb.InterruptHandle()
		if err != nil {
			t.Fatal(err)
		}
		result := make(chan error, 1)
		go func() {
			_, callErr := sb.Call("Spin")
			result <- callErr
		}()
		go func() {
			for handle.Kill() != KillInterrupted {
				time.Sleep(time.Millisecond)
			}
		}()
		select {
		case callErr := <-result:
			if !errors.Is(callErr, &Error{Code: ErrorCancelled}) {
				t.Fatalf("round %d: want a cancelled call, got %v", round, callErr)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: the kill was missed: Spin still runs after 20 s", round)
		}
		handle.Close()
		sb.Close()
	}
	close(stopBystander)
	<-bystanderDone
	if bystanderFailures.Load() != 0 {
		t.Fatalf("%d of %d bystander calls failed: a kill reached the wrong sandbox", bystanderFailures.Load(),
			bystanderCalls.Load())
	}
	if bystanderCalls.Load() == 0 {
		t.Fatal("the bystander made no calls")
	}
}
