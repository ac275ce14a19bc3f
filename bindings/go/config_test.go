package hyperlight

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// sdkGuestPath is the guest with the logging functions:
// $HYPERLIGHT_TEST_SDK_GUEST, or sdkguest.elf next to the test guest.
func sdkGuestPath() string {
	if p := os.Getenv("HYPERLIGHT_TEST_SDK_GUEST"); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(guestPath()), "sdkguest.elf")
}

// newConfiguredSandbox makes a sandbox of guest with cfg that is closed when
// the test ends.
func newConfiguredSandbox(t *testing.T, guest string, cfg *Config) *Sandbox {
	t.Helper()
	sb, err := NewSandbox(guest, cfg)
	if err != nil {
		t.Fatalf("NewSandbox(%q): %v", guest, err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sb
}

func levelPtr(l LogLevel) *LogLevel { return &l }

// logRecorder collects log records; safe for concurrent use.
type logRecorder struct {
	mu      sync.Mutex
	records []logEntry
}

type logEntry struct {
	level   LogLevel
	file    string
	line    uint32
	message string
}

func (r *logRecorder) log(level LogLevel, file string, line uint32, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, logEntry{level, file, line, message})
}

// take returns the records so far and forgets them.
func (r *logRecorder) take() []logEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.records
	r.records = nil
	return out
}

func TestInputBufferSizeLimitsArguments(t *testing.T) {
	sb := newConfiguredSandbox(t, guestPath(), &Config{InputBufferSize: 4096})
	_, err := sb.Call("Echo", strings.Repeat("x", 8192))
	wantCode(t, err, ErrorTooLarge)
	// Refused before the guest ran: the sandbox is fine.
	if got := mustCall(t, sb, "Echo", "small"); got != "small" {
		t.Fatalf("Echo after ErrorTooLarge = %#v", got)
	}
	// The default (64 KiB) takes it.
	def := newTestSandbox(t)
	if got := mustCall(t, def, "Echo", strings.Repeat("x", 8192)); got != strings.Repeat("x", 8192) {
		t.Fatal("Echo of 8 KiB failed with the default buffers")
	}
}

func TestOutputBufferSizeLimitsResults(t *testing.T) {
	sb := newConfiguredSandbox(t, guestPath(), &Config{OutputBufferSize: 4096})
	if got := mustCall(t, sb, "Echo", "fits"); got != "fits" {
		t.Fatalf("Echo = %#v", got)
	}
	// The argument fits the 64 KiB input buffer; the result cannot leave.
	_, err := sb.Call("Echo", strings.Repeat("y", 8192))
	wantCode(t, err, ErrorTooLarge)
}

func TestBufferSizesOutOfRange(t *testing.T) {
	for _, cfg := range []*Config{{InputBufferSize: 1 << 40}, {OutputBufferSize: 1 << 40}} {
		_, err := NewSandbox(guestPath(), cfg)
		wantCode(t, err, ErrorInvalidArgument)
	}
}

func TestLoggerReceivesGuestRecords(t *testing.T) {
	var rec logRecorder
	sb := newConfiguredSandbox(t, sdkGuestPath(), &Config{MaxLogLevel: levelPtr(LogInfo), Logger: rec.log})

	// Logged by the guest's initialisation, inside NewSandbox.
	init := rec.take()
	if len(init) != 1 || init[0].level != LogInfo || init[0].message != "sdkguest initialising" {
		t.Fatalf("initialisation records = %+v, want one LogInfo \"sdkguest initialising\"", init)
	}
	if got := mustCall(t, sb, "MaxLogLevel"); got != uint32(LogInfo) {
		t.Fatalf("the guest's MaxLogLevel() = %#v, want uint32(%d)", got, LogInfo)
	}

	mustCall(t, sb, "LogAllLevels")
	records := rec.take()
	want := []logEntry{{level: LogError, message: "error record 1"}, {level: LogWarn, message: "warn record 2"},
		{level: LogInfo, message: "info record 3"}}
	if len(records) != len(want) {
		t.Fatalf("LogAllLevels at LogInfo gave %d records (%+v), want %d", len(records), records, len(want))
	}
	for i, r := range records {
		if r.level != want[i].level || r.message != want[i].message {
			t.Errorf("record %d = %v %q, want %v %q", i, r.level, r.message, want[i].level, want[i].message)
		}
		if !strings.HasSuffix(r.file, "sdkguest.c") || r.line == 0 {
			t.Errorf("record %d comes from %s:%d, want a line of sdkguest.c", i, r.file, r.line)
		}
	}

	line, ok := mustCall(t, sb, "LogLine").(int32)
	if !ok {
		t.Fatal("LogLine did not return an int32")
	}
	records = rec.take()
	if len(records) != 1 || records[0].level != LogWarn || records[0].line != uint32(line) ||
		records[0].message != "the line is "+strconv.Itoa(int(line)) {
		t.Fatalf("LogLine records = %+v, want one LogWarn at line %d", records, line)
	}

	// Log(level, text): 0 is "off", 4 is above LogInfo, 9 and -1 are no levels.
	for _, level := range []int32{0, 1, 3, 4, 9, -1} {
		mustCall(t, sb, "Log", level, "via Log")
	}
	records = rec.take()
	if len(records) != 2 || records[0].level != LogError || records[1].level != LogInfo ||
		records[1].message != "via Log" {
		t.Fatalf("Log records = %+v, want LogError and LogInfo \"via Log\"", records)
	}

	// The strings are Go copies: later records (in the same C buffer) do
	// not change the kept ones.
	mustCall(t, sb, "LogAllLevels")
	kept := rec.take()
	mustCall(t, sb, "LogLong", int32(1000))
	if long := rec.take(); len(long) != 1 || len(long[0].message) != 1000 {
		t.Fatalf("LogLong(1000) records = %d", len(long))
	}
	if kept[0].message != "error record 1" || kept[2].message != "info record 3" {
		t.Fatalf("kept records changed: %+v", kept)
	}
}

func TestMaxLogLevelOffIsNotTheDefault(t *testing.T) {
	var rec logRecorder
	sb := newConfiguredSandbox(t, sdkGuestPath(), &Config{MaxLogLevel: levelPtr(LogOff), Logger: rec.log})
	if got := mustCall(t, sb, "MaxLogLevel"); got != uint32(LogOff) {
		t.Fatalf("the guest's MaxLogLevel() = %#v, want uint32(0)", got)
	}
	mustCall(t, sb, "LogAllLevels")
	if records := rec.take(); len(records) != 0 {
		t.Fatalf("LogOff let %d records through: %+v", len(records), records)
	}

	sb = newConfiguredSandbox(t, sdkGuestPath(), &Config{MaxLogLevel: levelPtr(LogTrace), Logger: rec.log})
	rec.take()
	mustCall(t, sb, "LogAllLevels")
	if records := rec.take(); len(records) != 5 || records[4].level != LogTrace {
		t.Fatalf("LogTrace gave %+v, want 5 records ending with LogTrace", records)
	}
}

func TestLoggerPanicIsRecovered(t *testing.T) {
	calls := 0
	sb := newConfiguredSandbox(t, sdkGuestPath(), &Config{
		MaxLogLevel: levelPtr(LogTrace),
		Logger: func(LogLevel, string, uint32, string) {
			calls++
			panic("logger kaboom")
		},
	})
	mustCall(t, sb, "LogAllLevels")
	if calls != 6 { // the initialisation record and five more
		t.Fatalf("the Logger ran %d times, want 6", calls)
	}
	if got := mustCall(t, sb, "Add", int32(2), int32(3)); got != int32(5) {
		t.Fatalf("Add after Logger panics = %#v", got)
	}
}

func TestLoggerSharedBySandboxesOnManyGoroutines(t *testing.T) {
	var rec logRecorder
	cfg := &Config{MaxLogLevel: levelPtr(LogError), Logger: rec.log}
	const sandboxes, calls = 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, sandboxes)
	for i := 0; i < sandboxes; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sb, err := NewSandbox(sdkGuestPath(), cfg)
			if err != nil {
				errs <- err
				return
			}
			defer sb.Close()
			for j := 0; j < calls; j++ {
				if _, err := sb.Call("Log", int32(LogError), "sandbox "+strconv.Itoa(i)); err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	perSandbox := map[string]int{}
	for _, r := range rec.take() {
		perSandbox[r.message]++
	}
	for i := 0; i < sandboxes; i++ {
		if n := perSandbox["sandbox "+strconv.Itoa(i)]; n != calls {
			t.Errorf("sandbox %d logged %d records, want %d", i, n, calls)
		}
	}
}

func TestLoggerHandleLivesAsLongAsTheSandbox(t *testing.T) {
	before := liveLoggers.Load()
	var rec logRecorder
	cfg := &Config{MaxLogLevel: levelPtr(LogError), Logger: rec.log}
	a, err := NewSandbox(sdkGuestPath(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSandbox(sdkGuestPath(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := liveLoggers.Load() - before; got != 2 {
		t.Fatalf("%d live logger handles for two sandboxes, want 2 (one each)", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// b's handle is its own: it still logs after a is gone.
	mustCall(t, b, "Log", int32(LogError), "still here")
	if records := rec.take(); len(records) != 1 || records[0].message != "still here" {
		t.Fatalf("records after closing the other sandbox = %+v", records)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := liveLoggers.Load() - before; got != 0 {
		t.Fatalf("%d logger handles live after Close, want 0", got)
	}

	// Failed creations delete theirs at once.
	_, err = NewSandbox("/nonexistent/guest.elf", cfg)
	wantCode(t, err, ErrorIo)
	_, err = NewSandbox(sdkGuestPath(), &Config{MaxLogLevel: levelPtr(LogTrace + 1), Logger: rec.log})
	wantCode(t, err, ErrorInvalidArgument)
	_, err = NewSandboxFromBytes([]byte("not an ELF"), cfg)
	wantCode(t, err, ErrorInvalidElf)
	if got := liveLoggers.Load() - before; got != 0 {
		t.Fatalf("%d logger handles live after failed creations, want 0", got)
	}
}

func TestInitDataIsReadableByTheGuest(t *testing.T) {
	data := []byte("init data for the guest \x00\x01\x02")
	cfg := &Config{InitData: append([]byte(nil), data...)}
	sb := newConfiguredSandbox(t, guestPath(), cfg)
	for i := range cfg.InitData {
		cfg.InitData[i] = 0 // the sandbox has its own copy
	}
	got, ok := mustCall(t, sb, "GetInitData").([]byte)
	if !ok || !bytes.Equal(got, data) {
		t.Fatalf("GetInitData() = %q, want %q", got, data)
	}
	// Read-only by default (MapRead).
	_, err := sb.Call("WriteInitData")
	wantCode(t, err, ErrorMemoryAccessViolation)

	// Without init data the guest sees none.
	plain := newTestSandbox(t)
	if got := mustCall(t, plain, "GetInitData"); !bytes.Equal(got.([]byte), nil) {
		t.Fatalf("GetInitData() without init data = %q", got)
	}
}

func TestWritableInitData(t *testing.T) {
	sb := newConfiguredSandbox(t, guestPath(), &Config{InitData: []byte("abc"), InitDataFlags: MapRead | MapWrite})
	if got := mustCall(t, sb, "WriteInitData"); got != int32(0xEE) {
		t.Fatalf("WriteInitData() = %#v, want int32(0xEE)", got)
	}
	if got := mustCall(t, sb, "GetInitData"); !bytes.Equal(got.([]byte), []byte("\xeebc")) {
		t.Fatalf("GetInitData() after the write = %q", got)
	}
	_, err := NewSandbox(guestPath(), &Config{InitData: []byte("abc"), InitDataFlags: MapFlag(8)})
	wantCode(t, err, ErrorInvalidArgument)
}
