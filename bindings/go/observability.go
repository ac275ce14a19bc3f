package hyperlight

/*
#include "hyperlight.h"
*/
import "C"

import (
	"encoding/json"
	"expvar"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// NoLimit, as a field of CallOptions, means that this call has no such
// limit, whatever the Config says (0 means the Config's).
const NoLimit = time.Duration(-1)

// CallOptions are one call's limits, for CallWithOptions and
// CallAndRestoreWithOptions. A zero field takes the Config's value
// (Config.CallTimeout, Config.CallCPUBudget); NoLimit, and NoTimeLimit,
// mean none for this call; another negative value fails with
// ErrorInvalidArgument.
type CallOptions struct {
	// Timeout is the call's wall-clock time limit, host functions
	// included; past it the call fails with ErrorTimeout.
	Timeout time.Duration
	// CPUBudget is the guest CPU time the call may use, host functions
	// excluded; past it the call fails with ErrorCpuBudgetExceeded.
	CPUBudget time.Duration
}

// toC converts o into the library's options: each non-zero field is set,
// NoLimit as 0 (none).
func (o CallOptions) toC(what string) (C.hl_call_options_t, error) {
	var options C.hl_call_options_t
	fields := []struct {
		name  string
		value time.Duration
		flag  C.uint32_t
		ns    *C.uint64_t
	}{
		{"Timeout", o.Timeout, C.HL_CALL_OPTION_TIMEOUT, &options.timeout_ns},
		{"CPUBudget", o.CPUBudget, C.HL_CALL_OPTION_CPU_BUDGET, &options.cpu_budget_ns},
	}
	for _, f := range fields {
		switch {
		case f.value == 0:
			continue
		case f.value == NoLimit:
			*f.ns = 0
		case f.value < 0:
			return options, newError(ErrorInvalidArgument, what+": CallOptions."+f.name+" is negative (NoLimit means none)")
		default:
			*f.ns = C.uint64_t(f.value)
		}
		options.flags |= f.flag
	}
	return options, nil
}

// CallStats is what one call cost, from CallWithOptions and
// CallAndRestoreWithOptions.
type CallStats struct {
	// Wall is the call's wall-clock time in the library, from entering it
	// to the result (the restore of CallAndRestoreWithOptions included).
	Wall time.Duration
	// GuestCPU is the calling thread's CPU time during the call (the guest
	// running, and the library handling its exits) minus the time spent in
	// host functions: what a CPU budget counts.
	GuestCPU time.Duration
	// HostFunctions is the wall-clock time spent in host functions the
	// guest called.
	HostFunctions time.Duration
	// Restore is the wall-clock time of the restore
	// (CallAndRestoreWithOptions; 0 for CallWithOptions).
	Restore time.Duration
	// VMExits counts the times the vCPU left the guest: each host call,
	// print and log record is one, and so is the call's end.
	VMExits uint64
	// HostCalls counts the host functions the guest called.
	HostCalls uint64
	// PagesRestored counts the 4 KiB pages the restore copied back
	// (CallAndRestoreWithOptions; 0 for CallWithOptions).
	PagesRestored uint64
	// PrintBytes counts the bytes the guest printed, PrintBytesDropped
	// those of them past Config.PrintLimit that Config.Print did not get.
	PrintBytes, PrintBytesDropped uint64
}

func statsFromC(s *C.hl_call_stats_t) CallStats {
	return CallStats{
		Wall:              time.Duration(s.wall_ns),
		GuestCPU:          time.Duration(s.guest_cpu_ns),
		HostFunctions:     time.Duration(s.host_function_ns),
		Restore:           time.Duration(s.restore_ns),
		VMExits:           uint64(s.vm_exits),
		HostCalls:         uint64(s.host_calls),
		PagesRestored:     uint64(s.pages_restored),
		PrintBytes:        uint64(s.print_bytes),
		PrintBytesDropped: uint64(s.print_bytes_dropped),
	}
}

// CallWithOptions is Call with this call's time limit and CPU budget (see
// CallOptions), returning what the call cost. The stats are filled also when
// the call fails (and are zero when it is refused before reaching the
// library, such as for an argument of an unsupported type). Measuring them
// costs a few reads of the thread's CPU clock per call and per host call.
//
// Errors are those of Call, plus ErrorCpuBudgetExceeded (the guest used
// more CPU time than its budget; the sandbox is poisoned) and
// ErrorInvalidArgument (a negative option other than NoLimit).
func (s *Sandbox) CallWithOptions(opts CallOptions, name string, args ...any) (any, CallStats, error) {
	return s.callWithOptions("CallWithOptions", opts, nil, name, args)
}

// callWithOptions runs CallWithOptions (snap nil) and
// CallAndRestoreWithOptions.
func (s *Sandbox) callWithOptions(what string, opts CallOptions, snap *Snapshot, name string, args []any) (any, CallStats, error) {
	options, err := opts.toC(what)
	if err != nil {
		return nil, CallStats{}, err
	}
	var stats C.hl_call_stats_t
	result, err := s.call(what, name, args, callSettings{options: &options, stats: &stats, snap: snap})
	return result, statsFromC(&stats), err
}

// Metrics are an engine's counters and histograms since it was made, read
// at one moment (Engine.Metrics, DefaultEngineMetrics). Counters only grow;
// subtract two readings to see what happened between them. They are read
// without a lock, so counters read while calls run may be a call apart from
// each other.
//
// json.Marshal gives FailuresByCode and SandboxesCreated readable keys, the
// labels of the Prometheus text: "TIMEOUT", "CANCELLED", ... (the ErrorCode
// without HL_ERROR_) and "cold", "snapshot", "pool", "spare".
type Metrics struct {
	// Calls counts guest calls (every form of Call; refused ones too),
	// CallFailures those that failed, with any code.
	Calls, CallFailures uint64
	// FailuresByCode counts the failed calls by error code: ErrorCancelled
	// for kills, ErrorTimeout, ErrorCpuBudgetExceeded, ... Only codes with
	// failures are present.
	FailuresByCode map[ErrorCode]uint64
	// Kills counts InterruptHandle.Kill calls (and kills by CallContext)
	// that stopped a running call; StaleKills those that found no call
	// running, or the sandbox gone.
	Kills, StaleKills uint64
	// HostCalls counts the host functions guests called, VMExits the
	// times a vCPU left its guest during calls.
	HostCalls, VMExits uint64
	// Restores counts snapshot restores (Restore, CallAndRestore, and the
	// reuse of a sandbox the engine kept), PagesRestored the 4 KiB pages
	// they copied.
	Restores, PagesRestored uint64
	// SandboxesCreated counts the sandboxes made, by origin (every origin
	// is present); SandboxesDeleted those closed. Made minus deleted is how
	// many are alive.
	SandboxesCreated map[SandboxOrigin]uint64
	SandboxesDeleted uint64
	// PrintBytes counts the bytes guests printed, PrintBytesDropped those
	// past a Config.PrintLimit that no Config.Print got.
	PrintBytes, PrintBytesDropped uint64
	// CallDuration holds the wall-clock durations of guest calls,
	// RestoreDuration those of restores, CreateDuration the time taken to
	// make each sandbox.
	CallDuration, RestoreDuration, CreateDuration Histogram
}

// Histogram counts durations in buckets (the same bounds in every
// histogram: 5 µs up to 10 s, then +Inf).
type Histogram struct {
	// Count is how many durations were recorded, Sum their total.
	Count uint64
	Sum   time.Duration
	// Buckets are in increasing order of UpperBound. They are not
	// cumulative: each counts the durations above the previous bucket's
	// bound and at most its own, so they add up to Count.
	Buckets []Bucket
}

// Bucket is one bucket of a Histogram.
type Bucket struct {
	// UpperBound is the longest duration the bucket counts;
	// time.Duration(math.MaxInt64) for the last one (+Inf).
	UpperBound time.Duration
	// Count is how many durations fell into the bucket (not cumulative).
	Count uint64
}

// bucketBounds are the histograms' bucket bounds, which the library fixes.
var bucketBounds = func() []time.Duration {
	bounds := make([]time.Duration, C.HL_METRICS_HISTOGRAM_BUCKETS)
	for i := range bounds {
		ns := uint64(C.hl_histogram_bucket_bound_ns(C.uint32_t(i)))
		if ns > math.MaxInt64 { // UINT64_MAX: +Inf
			ns = math.MaxInt64
		}
		bounds[i] = time.Duration(ns)
	}
	return bounds
}()

func histogramFromC(count, sumNs C.uint64_t, buckets []C.uint64_t) Histogram {
	h := Histogram{Count: uint64(count), Sum: time.Duration(sumNs), Buckets: make([]Bucket, len(buckets))}
	for i, n := range buckets {
		h.Buckets[i] = Bucket{UpperBound: bucketBounds[i], Count: uint64(n)}
	}
	return h
}

func metricsFromC(m *C.hl_metrics_t) Metrics {
	out := Metrics{
		Calls:             uint64(m.calls),
		CallFailures:      uint64(m.call_failures),
		FailuresByCode:    map[ErrorCode]uint64{},
		Kills:             uint64(m.kills),
		StaleKills:        uint64(m.stale_kills),
		HostCalls:         uint64(m.host_calls),
		VMExits:           uint64(m.vm_exits),
		Restores:          uint64(m.restores),
		PagesRestored:     uint64(m.pages_restored),
		SandboxesCreated:  map[SandboxOrigin]uint64{},
		SandboxesDeleted:  uint64(m.sandboxes_deleted),
		PrintBytes:        uint64(m.print_bytes),
		PrintBytesDropped: uint64(m.print_bytes_dropped),
		CallDuration:      histogramFromC(m.call_duration.count, m.call_duration.sum_ns, m.call_duration.buckets[:]),
		RestoreDuration: histogramFromC(m.restore_duration.count, m.restore_duration.sum_ns,
			m.restore_duration.buckets[:]),
		CreateDuration: histogramFromC(m.create_duration.count, m.create_duration.sum_ns,
			m.create_duration.buckets[:]),
	}
	for code, n := range m.failures_by_code {
		if n != 0 {
			out.FailuresByCode[ErrorCode(code)] = uint64(n)
		}
	}
	for origin, n := range m.sandboxes_created {
		out.SandboxesCreated[SandboxOrigin(origin)] = uint64(n)
	}
	return out
}

// MarshalJSON encodes m with the keys of FailuresByCode and
// SandboxesCreated as their Prometheus labels ("TIMEOUT", "cold") rather
// than numbers.
func (m Metrics) MarshalJSON() ([]byte, error) {
	type plain Metrics // without this method
	failures := make(map[string]uint64, len(m.FailuresByCode))
	for code, n := range m.FailuresByCode {
		failures[strings.TrimPrefix(code.String(), "HL_ERROR_")] = n
	}
	created := make(map[string]uint64, len(m.SandboxesCreated))
	for origin, n := range m.SandboxesCreated {
		created[strings.ToLower(strings.TrimPrefix(origin.String(), "HL_ORIGIN_"))] = n
	}
	// The outer fields hide plain's fields of the same names.
	return json.Marshal(struct {
		plain
		FailuresByCode   map[string]uint64
		SandboxesCreated map[string]uint64
	}{plain(m), failures, created})
}

// usePtr runs use with e's C handle, which stays valid meanwhile: NULL, the
// default engine, for a nil e. It fails if e is closed.
func (e *Engine) usePtr(what string, use func(*C.hl_engine_t) error) error {
	if e == nil {
		return use(nil)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ptr == nil {
		return newError(ErrorInvalidArgument, what+": the engine is closed")
	}
	err := use(e.ptr)
	runtime.KeepAlive(e)
	return err
}

// Metrics reads the engine's counters and histograms: what its sandboxes
// did since it was made. It fails with ErrorInvalidArgument once the engine
// is closed (the library drops the engine with its last sandbox).
func (e *Engine) Metrics() (Metrics, error) {
	var m C.hl_metrics_t
	err := e.usePtr("Metrics", func(ptr *C.hl_engine_t) error {
		return takeError(C.hl_engine_metrics(ptr, &m))
	})
	if err != nil {
		return Metrics{}, err
	}
	return metricsFromC(&m), nil
}

// DefaultEngineMetrics is Engine.Metrics for the default engine, the one
// of sandboxes whose Config names no Engine. It makes the default engine if
// no sandbox has yet (failing with ErrorNoHypervisor without a usable
// /dev/kvm).
func DefaultEngineMetrics() (Metrics, error) {
	return (*Engine)(nil).Metrics()
}

// prometheusText returns the engine's metrics in the Prometheus text
// exposition format 0.0.4.
func (e *Engine) prometheusText() ([]byte, error) {
	var text []byte
	err := e.usePtr("MetricsHandler", func(ptr *C.hl_engine_t) error {
		var ctext *C.char
		var length C.size_t
		if err := takeError(C.hl_engine_metrics_write_prometheus(ptr, &ctext, &length)); err != nil {
			return err
		}
		defer C.hl_free(unsafe.Pointer(ctext))
		text = make([]byte, int(length))
		copy(text, unsafe.Slice((*byte)(unsafe.Pointer(ctext)), int(length)))
		return nil
	})
	return text, err
}

// prometheusContentType is the Content-Type of the Prometheus text
// exposition format 0.0.4.
const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

// metricsHandler serves an engine's metrics (nil: the default engine's).
type metricsHandler struct {
	engine *Engine
}

func (h metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "metrics are read with GET or HEAD, not "+r.Method, http.StatusMethodNotAllowed)
		return
	}
	text, err := h.engine.prometheusText()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", prometheusContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(text) // a client that went away is not our error
}

// MetricsHandler returns an http.Handler that serves the engine's metrics
// in the Prometheus text format (version 0.0.4), as read at each request:
// counters named hyperlight_*_total, durations as histograms in seconds
// (docs/observability.md lists them). Mount it where Prometheus scrapes:
//
//	http.Handle("/metrics", engine.MetricsHandler())
//
// It answers GET and HEAD, other methods with 405 Method Not Allowed, and
// 500 Internal Server Error with the error's text if the metrics cannot be
// read (such as once the engine is closed). The handler keeps the Engine
// reachable.
func (e *Engine) MetricsHandler() http.Handler {
	return metricsHandler{engine: e}
}

// MetricsHandler is Engine.MetricsHandler for the default engine, the one
// of sandboxes whose Config names no Engine. Requests make the default
// engine if no sandbox has yet.
func MetricsHandler() http.Handler {
	return metricsHandler{}
}

// publishExpvar publishes the metrics of e (nil: the default engine).
func publishExpvar(e *Engine, name string) {
	expvar.Publish(name, expvar.Func(func() any {
		m, err := e.Metrics()
		if err != nil {
			return map[string]string{"error": err.Error()}
		}
		return m
	}))
}

// PublishExpvar publishes the engine's Metrics as the expvar variable name,
// read at each request of /debug/vars (or expvar.Get(name).String()) and
// encoded as JSON, with readable keys for its maps (see Metrics). Once the
// engine is closed the variable reads {"error": "..."}. The variable keeps
// the Engine reachable for the rest of the process.
//
// Like expvar.Publish, it panics if a variable of that name is already
// published: publish each name once per process, such as from main or
// from a sync.Once.
func (e *Engine) PublishExpvar(name string) {
	publishExpvar(e, name)
}

// PublishExpvar is Engine.PublishExpvar for the default engine, the one of
// sandboxes whose Config names no Engine. It panics if a variable of that
// name is already published.
func PublishExpvar(name string) {
	publishExpvar(nil, name)
}

// ID is the sandbox's number, unique among the sandboxes of its engine (C
// hl_sandbox_id): the one span events and the engine's metrics name it by. A
// sandbox made from a kept-warm spare gets a new one. 0 once closed.
func (s *Sandbox) ID() uint64 {
	ptr, err := s.acquire("ID")
	if err != nil {
		return 0
	}
	defer s.mu.RUnlock()
	return uint64(C.hl_sandbox_id(ptr))
}
