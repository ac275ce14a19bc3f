package hyperlight

import (
	"bytes"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newMetricsEngine makes an engine of the test's own, so that no other test
// moves its counters, closed when the test ends. It has no VM pool and
// keeps no closed sandboxes, so every sandbox made from a snapshot is
// OriginSnapshot.
func newMetricsEngine(t *testing.T) *Engine {
	return newTestEngine(t, &EngineOptions{VMPoolSize: u32(0)})
}

func readMetrics(t *testing.T, e *Engine) Metrics {
	t.Helper()
	m, err := e.Metrics()
	if err != nil {
		t.Fatalf("Engine.Metrics: %v", err)
	}
	return m
}

// wantCounts fails the test for every counter whose value is not the one
// wanted; got and want map counter names to values.
func wantCounts(t *testing.T, what string, got, want map[string]uint64) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s = %d, want %d", what, name, got[name], w)
		}
	}
}

// wantHistogram fails the test unless h counts n durations in buckets that
// add up to n, with increasing bounds ending in +Inf.
func wantHistogram(t *testing.T, name string, h Histogram, n uint64) {
	t.Helper()
	if h.Count != n {
		t.Errorf("%s.Count = %d, want %d", name, h.Count, n)
	}
	if len(h.Buckets) != int(MetricsHistogramBuckets) {
		t.Fatalf("%s has %d buckets, want %d", name, len(h.Buckets), MetricsHistogramBuckets)
	}
	var sum uint64
	for i, b := range h.Buckets {
		sum += b.Count
		if i > 0 && b.UpperBound <= h.Buckets[i-1].UpperBound {
			t.Errorf("%s: bucket %d's bound %v is not above bucket %d's, %v", name, i, b.UpperBound, i-1,
				h.Buckets[i-1].UpperBound)
		}
	}
	if sum != n {
		t.Errorf("%s: the buckets count %d durations, want %d (not cumulative)", name, sum, n)
	}
	if first, last := h.Buckets[0].UpperBound, h.Buckets[len(h.Buckets)-1].UpperBound; first != 5*time.Microsecond ||
		last != time.Duration(math.MaxInt64) {
		t.Errorf("%s: bucket bounds %v to %v, want 5µs to +Inf (MaxInt64)", name, first, last)
	}
	if n > 0 && h.Sum <= 0 {
		t.Errorf("%s.Sum = %v for %d durations", name, h.Sum, n)
	}
}

func TestMetricsCountCallsFailuresAndKillsExactly(t *testing.T) {
	e := newMetricsEngine(t)
	cfg := &Config{Engine: e}
	ok := newConfiguredSandbox(t, guestPath(), cfg)
	if err := ok.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	// A killed or timed-out call poisons its sandbox: one sandbox each.
	var killed, timedOut []*Sandbox
	for i := 0; i < 3; i++ {
		killed = append(killed, newConfiguredSandbox(t, guestPath(), cfg))
	}
	for i := 0; i < 2; i++ {
		timedOut = append(timedOut, newConfiguredSandbox(t, guestPath(), cfg))
	}
	m := readMetrics(t, e)
	if m.Calls != 0 || m.SandboxesCreated[OriginCold] != 6 || m.CreateDuration.Count != 6 {
		t.Fatalf("after making 6 sandboxes: Calls %d, SandboxesCreated %v, CreateDuration.Count %d; want 0, 6 cold, 6",
			m.Calls, m.SandboxesCreated, m.CreateDuration.Count)
	}

	// 10 calls: 5 succeed (2 of them call a host function), 3 are killed,
	// 2 time out.
	for i := 0; i < 3; i++ {
		mustCall(t, ok, "Add", int32(i), int32(1))
	}
	for i := 0; i < 2; i++ {
		mustCall(t, ok, "AddViaHost", int32(i), int32(1))
	}
	for _, sb := range killed {
		if err := killSpin(sb); err != nil {
			t.Fatal(err)
		}
	}
	for _, sb := range timedOut {
		_, stats, err := sb.CallWithOptions(CallOptions{Timeout: 50 * time.Millisecond}, "Spin")
		wantCode(t, err, ErrorTimeout)
		if stats.Wall < 50*time.Millisecond {
			t.Errorf("a call that timed out after 50 ms: stats.Wall = %v", stats.Wall)
		}
	}

	m = readMetrics(t, e)
	wantCounts(t, "after 10 calls", map[string]uint64{
		"Calls": m.Calls, "CallFailures": m.CallFailures, "Kills": m.Kills, "HostCalls": m.HostCalls,
		"FailuresByCode[ErrorCancelled]": m.FailuresByCode[ErrorCancelled],
		"FailuresByCode[ErrorTimeout]":   m.FailuresByCode[ErrorTimeout],
		"len(FailuresByCode)":            uint64(len(m.FailuresByCode)),
		"Restores":                       m.Restores, "SandboxesDeleted": m.SandboxesDeleted,
	}, map[string]uint64{
		"Calls": 10, "CallFailures": 5, "Kills": 3, "HostCalls": 2,
		"FailuresByCode[ErrorCancelled]": 3, "FailuresByCode[ErrorTimeout]": 2, "len(FailuresByCode)": 2,
		"Restores": 0, "SandboxesDeleted": 0,
	})
	// Each call that returns leaves the guest at least once (at its end),
	// a host call once more.
	if m.VMExits < 7 {
		t.Errorf("VMExits = %d after 5 calls that returned, 2 with a host call; want at least 7", m.VMExits)
	}
	wantHistogram(t, "CallDuration", m.CallDuration, 10)
	wantHistogram(t, "RestoreDuration", m.RestoreDuration, 0)
	wantHistogram(t, "CreateDuration", m.CreateDuration, 6)
	if m.CallDuration.Sum < 100*time.Millisecond {
		t.Errorf("CallDuration.Sum = %v, but two calls timed out after 50 ms each", m.CallDuration.Sum)
	}

	// killSpin retries Kill until one finds the call, so its misses count
	// as stale kills too: count one of our own.
	staleBefore := m.StaleKills
	h, err := ok.InterruptHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if r := h.Kill(); r != KillNotRunning {
		t.Fatalf("Kill with no call running = %v, want KillNotRunning", r)
	}
	m = readMetrics(t, e)
	if m.StaleKills != staleBefore+1 || m.Kills != 3 {
		t.Errorf("after a Kill with no call running: StaleKills %d (was %d), Kills %d; want one more stale kill, 3 kills",
			m.StaleKills, staleBefore, m.Kills)
	}

	for _, sb := range append(append([]*Sandbox{ok}, killed...), timedOut...) {
		if err := sb.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if m = readMetrics(t, e); m.SandboxesDeleted != 6 {
		t.Errorf("SandboxesDeleted = %d after closing 6 sandboxes", m.SandboxesDeleted)
	}
}

func TestMetricsCountSandboxesByOrigin(t *testing.T) {
	e := newMetricsEngine(t)
	cold := newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	snap := takeSnapshot(t, cold)
	fromSnap := newSandboxFromSnapshot(t, snap, &Config{Engine: e})
	mustCall(t, fromSnap, "Add", int32(1), int32(2))

	m := readMetrics(t, e)
	want := map[SandboxOrigin]uint64{OriginCold: 1, OriginSnapshot: 1, OriginPool: 0, OriginSpare: 0}
	for origin, n := range want {
		if got, present := m.SandboxesCreated[origin]; got != n || !present {
			t.Errorf("SandboxesCreated[%v] = %d (present: %v), want %d", origin, got, present, n)
		}
	}
	if m.CreateDuration.Count != 2 || m.SandboxesDeleted != 0 {
		t.Errorf("CreateDuration.Count %d, SandboxesDeleted %d; want 2, 0", m.CreateDuration.Count, m.SandboxesDeleted)
	}
	if err := fromSnap.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cold.Close(); err != nil {
		t.Fatal(err)
	}
	if m = readMetrics(t, e); m.SandboxesDeleted != 2 {
		t.Errorf("SandboxesDeleted = %d after closing both sandboxes, want 2", m.SandboxesDeleted)
	}
}

func TestSpareSandboxesAreCountedAndPrintToTheirOwnWriter(t *testing.T) {
	// With a pool, the engine keeps a closed sandbox made from a snapshot
	// for the next one made from it.
	e := newTestEngine(t, &EngineOptions{VMPoolSize: u32(1)})
	cold := newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	snap := takeSnapshot(t, cold)
	var firstOut, secondOut bytes.Buffer
	first, err := NewSandboxFromSnapshot(snap, &Config{Engine: e, Print: &firstOut})
	if err != nil {
		t.Fatal(err)
	}
	mustCall(t, first, "PrintHello")
	if err := first.Close(); err != nil { // deletes the handle of its writer
		t.Fatal(err)
	}
	second := newSandboxFromSnapshot(t, snap, &Config{Engine: e, Print: &secondOut})
	mustCall(t, second, "PrintHello")
	m := readMetrics(t, e)
	if m.SandboxesCreated[OriginSpare] != 1 || m.SandboxesCreated[OriginCold] != 1 ||
		m.SandboxesCreated[OriginSnapshot]+m.SandboxesCreated[OriginPool] != 1 {
		t.Errorf("SandboxesCreated = %v, want 1 cold, 1 from the pool or a new VM, then 1 spare", m.SandboxesCreated)
	}
	// The spare kept nothing of the first sandbox's Config.
	if firstOut.String() != hello || secondOut.String() != hello {
		t.Errorf("the first sandbox's writer got %q, the spare's %q; want %q each", firstOut.String(),
			secondOut.String(), hello)
	}
}

func TestCallAndRestoreWithOptionsCountsRestoredPages(t *testing.T) {
	e := newMetricsEngine(t)
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	snap := takeSnapshot(t, sb)

	// A call dirties no pages to restore without a restore.
	_, stats, err := sb.CallWithOptions(CallOptions{}, "Add", int32(1), int32(2))
	if err != nil {
		t.Fatal(err)
	}
	if stats.PagesRestored != 0 || stats.Restore != 0 || stats.Wall <= 0 || stats.VMExits == 0 {
		t.Errorf("CallWithOptions(Add) stats = %+v; want no restore, some wall time and VM exits", stats)
	}

	before := readMetrics(t, e)
	text := strings.Repeat("dirty pages ", 2000) // 24 KB through the buffers
	result, stats, err := sb.CallAndRestoreWithOptions(snap, CallOptions{}, "Echo", text)
	if err != nil || result != text {
		t.Fatalf("CallAndRestoreWithOptions(Echo) = %d bytes, %v", len(fmt.Sprint(result)), err)
	}
	after := readMetrics(t, e)
	if stats.PagesRestored == 0 || stats.Restore <= 0 || stats.Wall < stats.Restore {
		t.Errorf("CallAndRestoreWithOptions stats = %+v; want restored pages, a restore time within the wall time", stats)
	}
	if got := after.PagesRestored - before.PagesRestored; got != stats.PagesRestored {
		t.Errorf("Metrics.PagesRestored grew by %d, the call's stats say %d", got, stats.PagesRestored)
	}
	if after.Restores-before.Restores != 1 || after.RestoreDuration.Count-before.RestoreDuration.Count != 1 ||
		after.Calls-before.Calls != 1 {
		t.Errorf("one CallAndRestoreWithOptions: Restores +%d, RestoreDuration.Count +%d, Calls +%d; want +1 each",
			after.Restores-before.Restores, after.RestoreDuration.Count-before.RestoreDuration.Count,
			after.Calls-before.Calls)
	}

	// The stats come also when the call fails; the restore clears the
	// poisoning.
	_, stats, err = sb.CallAndRestoreWithOptions(snap, CallOptions{Timeout: 50 * time.Millisecond}, "Spin")
	wantCode(t, err, ErrorTimeout)
	if stats.Wall < 50*time.Millisecond || stats.PagesRestored == 0 {
		t.Errorf("stats of a call that timed out = %+v; want at least 50 ms and restored pages", stats)
	}
	if got := sb.Status(); got != SandboxReady {
		t.Errorf("Status() after CallAndRestoreWithOptions = %v, want SandboxReady", got)
	}

	_, _, err = sb.CallAndRestoreWithOptions(nil, CallOptions{}, "Add", int32(1), int32(2))
	wantCode(t, err, ErrorInvalidArgument)
}

func TestCPUBudgetStopsASpinningGuest(t *testing.T) {
	e := newMetricsEngine(t)
	cfg := &Config{Engine: e, CallCPUBudget: 50 * time.Millisecond}

	sb := newConfiguredSandbox(t, guestPath(), cfg)
	start := time.Now()
	_, stats, err := sb.CallWithOptions(CallOptions{}, "Spin")
	wantCode(t, err, ErrorCpuBudgetExceeded)
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("Spin under a 50 ms CPU budget took %v", elapsed)
	}
	if stats.GuestCPU < 50*time.Millisecond || stats.Wall < stats.GuestCPU/2 {
		t.Errorf("stats of a call over its 50 ms budget = %+v", stats)
	}
	if got := sb.Status(); got != SandboxPoisoned {
		t.Errorf("Status() after the budget ran out = %v, want SandboxPoisoned", got)
	}

	// Plain Call takes the Config's budget too.
	other := newConfiguredSandbox(t, guestPath(), cfg)
	_, err = other.Call("Spin")
	wantCode(t, err, ErrorCpuBudgetExceeded)

	// So do sandboxes made from snapshots.
	snap := takeSnapshot(t, newConfiguredSandbox(t, guestPath(), &Config{Engine: e}))
	fromSnap := newSandboxFromSnapshot(t, snap, cfg)
	_, err = fromSnap.Call("Spin")
	wantCode(t, err, ErrorCpuBudgetExceeded)

	if m := readMetrics(t, e); m.FailuresByCode[ErrorCpuBudgetExceeded] != 3 || m.CallFailures != 3 {
		t.Errorf("FailuresByCode = %v, CallFailures %d; want 3 of ErrorCpuBudgetExceeded", m.FailuresByCode,
			m.CallFailures)
	}

	_, err = NewSandbox(guestPath(), &Config{CallCPUBudget: -time.Millisecond})
	wantCode(t, err, ErrorInvalidArgument)
}

func TestCPUBudgetExcludesHostFunctions(t *testing.T) {
	e := newMetricsEngine(t)
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: e, CallCPUBudget: 50 * time.Millisecond})
	err := sb.Register("HostAdd", func(a, b int32) int32 {
		time.Sleep(300 * time.Millisecond)
		return a + b
	})
	if err != nil {
		t.Fatal(err)
	}
	result, stats, err := sb.CallWithOptions(CallOptions{}, "AddViaHost", int32(20), int32(22))
	if err != nil || result != int32(42) {
		t.Fatalf("AddViaHost with a host function sleeping 300 ms under a 50 ms CPU budget = %#v, %v; want 42", result, err)
	}
	if stats.HostFunctions < 300*time.Millisecond || stats.Wall < stats.HostFunctions {
		t.Errorf("stats.HostFunctions = %v, Wall %v; want at least 300 ms, within the wall time", stats.HostFunctions,
			stats.Wall)
	}
	if stats.GuestCPU >= 150*time.Millisecond {
		t.Errorf("stats.GuestCPU = %v, far below the 300 ms in the host function expected", stats.GuestCPU)
	}
	if stats.HostCalls != 1 || stats.VMExits < 2 {
		t.Errorf("stats: HostCalls %d, VMExits %d; want 1 host call, at least 2 exits", stats.HostCalls, stats.VMExits)
	}
}

func TestCallOptionsOverrideTheConfig(t *testing.T) {
	e := newMetricsEngine(t)
	budget := &Config{Engine: e, CallCPUBudget: 50 * time.Millisecond}
	// Were the Config's 50 ms budget still in force, it would stop Spin
	// before the 300 ms time limit.
	for _, cpu := range []time.Duration{NoLimit, NoTimeLimit, 10 * time.Second} {
		sb := newConfiguredSandbox(t, guestPath(), budget)
		_, _, err := sb.CallWithOptions(CallOptions{CPUBudget: cpu, Timeout: 300 * time.Millisecond}, "Spin")
		if !errors.Is(err, &Error{Code: ErrorTimeout}) {
			t.Errorf("Spin with CPUBudget %v over the Config's 50 ms = %v, want ErrorTimeout", cpu, err)
		}
	}

	// A budget where the Config has none.
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: e, CallTimeout: 20 * time.Second})
	_, _, err := sb.CallWithOptions(CallOptions{CPUBudget: 50 * time.Millisecond}, "Spin")
	wantCode(t, err, ErrorCpuBudgetExceeded)

	// No time limit where the Config has one (which would stop Spin first:
	// wall time passes at least as fast as CPU time).
	sb = newConfiguredSandbox(t, guestPath(), &Config{Engine: e, CallTimeout: 50 * time.Millisecond})
	_, _, err = sb.CallWithOptions(CallOptions{Timeout: NoLimit, CPUBudget: 100 * time.Millisecond}, "Spin")
	wantCode(t, err, ErrorCpuBudgetExceeded)

	// Zero fields keep the Config's.
	sb = newConfiguredSandbox(t, guestPath(), budget)
	_, _, err = sb.CallWithOptions(CallOptions{}, "Spin")
	wantCode(t, err, ErrorCpuBudgetExceeded)

	sb = newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	for _, opts := range []CallOptions{{Timeout: -2}, {CPUBudget: -time.Second}} {
		_, _, err = sb.CallWithOptions(opts, "Add", int32(1), int32(2))
		wantCode(t, err, ErrorInvalidArgument)
	}
	if got := mustCall(t, sb, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add after refused options = %#v", got)
	}
}

const hello = "Hello from the guest!\n"

func TestPrintGoesToTheWriter(t *testing.T) {
	e := newMetricsEngine(t)
	printersBefore := livePrinters.Load()
	var out bytes.Buffer
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: e, Print: &out})
	out.Reset() // only what the call prints
	before := readMetrics(t, e)
	_, stats, err := sb.CallWithOptions(CallOptions{}, "PrintHello")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != hello {
		t.Errorf("Print got %q, want %q", out.String(), hello)
	}
	if stats.PrintBytes != uint64(len(hello)) || stats.PrintBytesDropped != 0 {
		t.Errorf("stats: PrintBytes %d, PrintBytesDropped %d; want %d, 0", stats.PrintBytes, stats.PrintBytesDropped,
			len(hello))
	}
	after := readMetrics(t, e)
	if after.PrintBytes-before.PrintBytes != uint64(len(hello)) || after.PrintBytesDropped != before.PrintBytesDropped {
		t.Errorf("Metrics.PrintBytes +%d, PrintBytesDropped +%d; want +%d, +0", after.PrintBytes-before.PrintBytes,
			after.PrintBytesDropped-before.PrintBytesDropped, len(hello))
	}

	// A sandbox made from a snapshot prints to its own Config's writer.
	snap := takeSnapshot(t, sb)
	var fromSnapOut bytes.Buffer
	fromSnap := newSandboxFromSnapshot(t, snap, &Config{Engine: e, Print: &fromSnapOut})
	mustCall(t, fromSnap, "PrintHello")
	if fromSnapOut.String() != hello || out.String() != hello {
		t.Errorf("after PrintHello from a snapshot: its writer got %q, the first sandbox's %q", fromSnapOut.String(),
			out.String())
	}

	if got := livePrinters.Load() - printersBefore; got != 2 {
		t.Errorf("%d live print handles for two sandboxes, want 2", got)
	}
	if err := fromSnap.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := livePrinters.Load() - printersBefore; got != 0 {
		t.Errorf("%d print handles live after Close, want 0", got)
	}
	_, err = NewSandbox("/nonexistent/guest.elf", &Config{Print: &out})
	wantCode(t, err, ErrorIo)
	if got := livePrinters.Load() - printersBefore; got != 0 {
		t.Errorf("%d print handles live after a failed creation, want 0", got)
	}
}

func TestPrintLimitDropsTheRest(t *testing.T) {
	e := newMetricsEngine(t)
	var out bytes.Buffer
	cfg := &Config{Engine: e, Print: &out, PrintLimit: 5}
	sb := newConfiguredSandbox(t, guestPath(), cfg)
	out.Reset()
	before := readMetrics(t, e)
	_, stats, err := sb.CallWithOptions(CallOptions{}, "PrintHello")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "Hello" {
		t.Errorf("Print with PrintLimit 5 got %q, want %q", out.String(), "Hello")
	}
	if stats.PrintBytes != uint64(len(hello)) || stats.PrintBytesDropped != uint64(len(hello)-5) {
		t.Errorf("stats: PrintBytes %d, PrintBytesDropped %d; want %d, %d", stats.PrintBytes, stats.PrintBytesDropped,
			len(hello), len(hello)-5)
	}
	after := readMetrics(t, e)
	if got := after.PrintBytesDropped - before.PrintBytesDropped; got != uint64(len(hello)-5) {
		t.Errorf("Metrics.PrintBytesDropped +%d, want +%d", got, len(hello)-5)
	}

	// The limit is per call.
	mustCall(t, sb, "PrintHello")
	if out.String() != "HelloHello" {
		t.Errorf("after a second call Print has %q, want %q", out.String(), "HelloHello")
	}

	// A sandbox made from a snapshot keeps the Config's limit.
	snap := takeSnapshot(t, sb)
	var fromSnapOut bytes.Buffer
	fromSnap := newSandboxFromSnapshot(t, snap, &Config{Engine: e, Print: &fromSnapOut, PrintLimit: 5})
	mustCall(t, fromSnap, "PrintHello")
	if fromSnapOut.String() != "Hello" {
		t.Errorf("from a snapshot with PrintLimit 5, Print got %q, want %q", fromSnapOut.String(), "Hello")
	}
}

type panickingWriter struct{ writes atomic.Int64 }

func (w *panickingWriter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	panic("the writer broke")
}

func TestPrintWriterPanicIsRecovered(t *testing.T) {
	w := &panickingWriter{}
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: newMetricsEngine(t), Print: w})
	mustCall(t, sb, "PrintHello")
	if w.writes.Load() == 0 {
		t.Fatal("the writer was never written")
	}
	if got := mustCall(t, sb, "Add", int32(40), int32(2)); got != int32(42) {
		t.Fatalf("Add after a panicking writer = %#v", got)
	}
}

// promValue returns the value of the metric line that starts with
// series+" " in Prometheus text, and whether there is one.
func promValue(text, series string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(line[len(series)+1:]), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func TestMetricsHandlerServesPrometheusText(t *testing.T) {
	e := newMetricsEngine(t)
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	for i := 0; i < 3; i++ {
		mustCall(t, sb, "Add", int32(i), int32(1))
	}
	_, _, err := sb.CallWithOptions(CallOptions{Timeout: 50 * time.Millisecond}, "Spin")
	wantCode(t, err, ErrorTimeout)

	server := httptest.NewServer(e.MetricsHandler())
	defer server.Close()
	resp, err := http.Get(server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %s: %s", resp.Status, body)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	for series, want := range map[string]float64{
		"hyperlight_calls_total":                            4,
		`hyperlight_call_failures_total{code="TIMEOUT"}`:    1,
		`hyperlight_sandboxes_created_total{origin="cold"}`: 1,
	} {
		if got, found := promValue(string(body), series); !found || got != want {
			t.Errorf("%s = %v (found: %v), want %v in:\n%s", series, got, found, want, body)
		}
	}

	resp, err = http.Head(server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	headBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(headBody) != 0 || resp.ContentLength <= 0 {
		t.Errorf("HEAD: %s, %d bytes of body, Content-Length %d", resp.Status, len(headBody), resp.ContentLength)
	}

	resp, err = http.Post(server.URL+"/metrics", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %s, Allow %q; want 405, GET, HEAD", resp.Status, resp.Header.Get("Allow"))
	}
}

func TestMetricsHandlerOfAClosedEngineFails(t *testing.T) {
	e, err := NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	handler := e.MetricsHandler()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "closed") {
		t.Errorf("GET of a closed engine's metrics: %d %q; want 500 saying it is closed", rec.Code, rec.Body.String())
	}
	_, err = e.Metrics()
	wantCode(t, err, ErrorInvalidArgument)
}

func TestDefaultEngineMetrics(t *testing.T) {
	before, err := DefaultEngineMetrics()
	if err != nil {
		t.Fatal(err)
	}
	sb := newTestSandbox(t) // on the default engine
	mustCall(t, sb, "Add", int32(1), int32(2))
	after, err := DefaultEngineMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if after.Calls < before.Calls+1 || after.SandboxesCreated[OriginCold] < before.SandboxesCreated[OriginCold]+1 {
		t.Errorf("default engine: Calls %d -> %d, cold sandboxes %d -> %d after one of each", before.Calls, after.Calls,
			before.SandboxesCreated[OriginCold], after.SandboxesCreated[OriginCold])
	}

	rec := httptest.NewRecorder()
	MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if got, found := promValue(rec.Body.String(), "hyperlight_calls_total"); rec.Code != http.StatusOK || !found ||
		got < float64(after.Calls) {
		t.Errorf("the default engine's handler: %d, hyperlight_calls_total %v (found: %v), want at least %d",
			rec.Code, got, found, after.Calls)
	}
}

// expvarNames makes the names these tests publish unique in the process
// (go test -count runs them again).
var expvarNames atomic.Int64

// expvarMetrics is what the JSON of a published Metrics must hold.
type expvarMetrics struct {
	Calls            uint64
	FailuresByCode   map[string]uint64
	SandboxesCreated map[string]uint64
	CallDuration     struct {
		Count   uint64
		Buckets []struct {
			UpperBound int64
			Count      uint64
		}
	}
	Error string `json:"error"`
}

func readExpvar(t *testing.T, name string) expvarMetrics {
	t.Helper()
	v := expvar.Get(name)
	if v == nil {
		t.Fatalf("expvar %q is not published", name)
	}
	var m expvarMetrics
	if err := json.Unmarshal([]byte(v.String()), &m); err != nil {
		t.Fatalf("expvar %q is not JSON: %v: %s", name, err, v.String())
	}
	return m
}

func TestPublishExpvar(t *testing.T) {
	e, err := NewEngine(&EngineOptions{VMPoolSize: u32(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sb := newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	mustCall(t, sb, "Add", int32(1), int32(2))
	mustCall(t, sb, "Add", int32(3), int32(4))
	poisoned := newConfiguredSandbox(t, guestPath(), &Config{Engine: e})
	_, _, err = poisoned.CallWithOptions(CallOptions{Timeout: 50 * time.Millisecond}, "Spin")
	wantCode(t, err, ErrorTimeout)

	name := fmt.Sprintf("hyperlight_test_engine_%d", expvarNames.Add(1))
	e.PublishExpvar(name)
	m := readExpvar(t, name)
	if m.Calls != 3 || m.FailuresByCode["TIMEOUT"] != 1 || len(m.FailuresByCode) != 1 ||
		m.SandboxesCreated["cold"] != 2 || m.SandboxesCreated["snapshot"] != 0 || len(m.SandboxesCreated) != 4 {
		t.Errorf("expvar %s = %+v; want 3 calls, 1 TIMEOUT, 2 cold sandboxes of 4 origins", name, m)
	}
	if n := len(m.CallDuration.Buckets); m.CallDuration.Count != 3 || n != int(MetricsHistogramBuckets) ||
		m.CallDuration.Buckets[n-1].UpperBound != math.MaxInt64 {
		t.Errorf("expvar %s: CallDuration %+v", name, m.CallDuration)
	}

	// Read at each request.
	mustCall(t, sb, "Add", int32(5), int32(6))
	if m = readExpvar(t, name); m.Calls != 4 {
		t.Errorf("expvar %s: Calls = %d after another call, want 4", name, m.Calls)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("publishing %q twice did not panic", name)
			}
		}()
		e.PublishExpvar(name)
	}()

	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if m = readExpvar(t, name); !strings.Contains(m.Error, "closed") {
		t.Errorf("expvar %s of a closed engine = %+v, want an error saying so", name, m)
	}

	defaultName := fmt.Sprintf("hyperlight_test_default_engine_%d", expvarNames.Add(1))
	PublishExpvar(defaultName)
	if m = readExpvar(t, defaultName); m.Error != "" || len(m.SandboxesCreated) != 4 {
		t.Errorf("expvar %s of the default engine = %+v", defaultName, m)
	}
}

func TestSandboxIDsAreDistinctAndZeroOnceClosed(t *testing.T) {
	a, b := newTestSandbox(t), newTestSandbox(t)
	if a.ID() == 0 || b.ID() == 0 || a.ID() == b.ID() {
		t.Fatalf("IDs %d and %d, want two distinct non-zero ones", a.ID(), b.ID())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if id := a.ID(); id != 0 {
		t.Errorf("a closed sandbox's ID is %d, want 0", id)
	}
}
