package hyperlight

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wantCoreFile fails the test unless path is an ELF core file: it starts
// with "\x7fELF" and its e_type is ET_CORE (4).
func wantCoreFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the core file: %v", err)
	}
	if len(data) < 64 || !bytes.HasPrefix(data, []byte("\x7fELF")) {
		t.Fatalf("%s (%d bytes) does not start with an ELF header", path, len(data))
	}
	if typ := binary.LittleEndian.Uint16(data[16:18]); typ != 4 {
		t.Fatalf("%s: e_type = %d, want ET_CORE (4)", path, typ)
	}
	return data
}

// coreDumpPath returns the PATH of " (core dump: PATH)" in the message of
// err, failing the test if there is none.
func coreDumpPath(t *testing.T, err error) string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *hyperlight.Error", err)
	}
	const marker = " (core dump: "
	i := strings.Index(e.Message, marker)
	if i < 0 {
		t.Fatalf("no %q in the message %q", marker, e.Message)
	}
	rest := e.Message[i+len(marker):]
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		t.Fatalf("unterminated %q in the message %q", marker, e.Message)
	}
	return rest[:end]
}

// faultWritesCoreInto makes sb's guest write to NULL and checks that the
// failed call wrote a core file into dir, whose path its message names.
func faultWritesCoreInto(t *testing.T, sb *Sandbox, dir string) {
	t.Helper()
	_, err := sb.Call("WriteAddress", int64(0))
	wantCode(t, err, ErrorMemoryAccessViolation)
	path := coreDumpPath(t, err)
	if filepath.Dir(path) != dir {
		t.Fatalf("the core %s is not in the crash dump directory %s", path, dir)
	}
	wantCoreFile(t, path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		t.Fatalf("the crash dump directory holds %v, want only %s", entries, filepath.Base(path))
	}
	if sb.Status() != SandboxPoisoned {
		t.Fatal("the fault did not poison the sandbox")
	}
}

func TestCrashdumpDirGetsACoreOnAFault(t *testing.T) {
	dir := t.TempDir()
	sb := newConfiguredSandbox(t, guestPath(), &Config{CrashdumpDir: dir})
	if got := mustCall(t, sb, "Add", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("Add = %#v", got)
	}
	faultWritesCoreInto(t, sb, dir)
	// Crashdump works on the poisoned sandbox too.
	after := filepath.Join(t.TempDir(), "after.core")
	if err := sb.Crashdump(after); err != nil {
		t.Fatalf("Crashdump of the poisoned sandbox: %v", err)
	}
	wantCoreFile(t, after)
}

func TestCrashdumpDirAppliesToSandboxesFromSnapshots(t *testing.T) {
	snap, err := newTestSandbox(t).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	dir := t.TempDir()
	sb, err := NewSandboxFromSnapshot(snap, &Config{CrashdumpDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	faultWritesCoreInto(t, sb, dir)
}

func TestNoCrashdumpDirWritesNoCore(t *testing.T) {
	if os.Getenv("HYPERLIGHT_CRASHDUMP_DIR") != "" {
		t.Skip("HYPERLIGHT_CRASHDUMP_DIR is set")
	}
	_, err := newTestSandbox(t).Call("WriteAddress", int64(0))
	if msg := wantCode(t, err, ErrorMemoryAccessViolation); strings.Contains(msg, "core dump") {
		t.Fatalf("a core was written without a crash dump directory: %q", msg)
	}
}

func TestCrashdumpDirWithANulByte(t *testing.T) {
	_, err := NewSandbox(guestPath(), &Config{CrashdumpDir: "a\x00b"})
	wantCode(t, err, ErrorInvalidArgument)
}

func TestCrashdumpWritesACore(t *testing.T) {
	sb := newTestSandbox(t)
	if got := mustCall(t, sb, "Echo", "hello"); got != "hello" {
		t.Fatalf("Echo = %#v", got)
	}
	path := filepath.Join(t.TempDir(), "now.core")
	if err := sb.Crashdump(path); err != nil {
		t.Fatalf("Crashdump: %v", err)
	}
	core := wantCoreFile(t, path)
	// The sandbox goes on working.
	if got := mustCall(t, sb, "Add", int32(40), int32(2)); got != int32(42) {
		t.Fatalf("Add after Crashdump = %#v", got)
	}
	// An existing path is never overwritten.
	if msg := wantCode(t, sb.Crashdump(path), ErrorIo); !strings.Contains(msg, path) {
		t.Fatalf("the error %q does not name %s", msg, path)
	}
	if again, err := os.ReadFile(path); err != nil || !bytes.Equal(again, core) {
		t.Fatalf("the existing core changed (err %v)", err)
	}
	wantCode(t, sb.Crashdump("bad\x00path"), ErrorInvalidArgument)
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, sb.Crashdump(filepath.Join(t.TempDir(), "closed.core")), ErrorInvalidArgument)
}

func TestCrashdumpDuringACallIsBusy(t *testing.T) {
	sb := newTestSandbox(t)
	path := filepath.Join(t.TempDir(), "busy.core")
	var inner error
	if err := sb.Register("HostAdd", func(a, b int32) int32 {
		inner = sb.Crashdump(path)
		return a + b
	}); err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("AddViaHost = %#v", got)
	}
	wantCode(t, inner, ErrorBusy)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a busy Crashdump wrote %s (stat: %v)", path, err)
	}
}

// newSandboxOrTimeout runs create, failing the test if it has not returned
// after a minute (it would be waiting for gdb).
func newSandboxOrTimeout(t *testing.T, create func() (*Sandbox, error)) error {
	t.Helper()
	type outcome struct {
		sb  *Sandbox
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		sb, err := create()
		done <- outcome{sb, err}
	}()
	select {
	case o := <-done:
		if o.sb != nil {
			_ = o.sb.Close()
		}
		return o.err
	case <-time.After(time.Minute):
		t.Fatal("the sandbox listened on a port in use and waits for gdb")
		return nil
	}
}

func TestGdbPortInUseFailsCreation(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	cfg := &Config{GdbPort: uint16(port)}

	err = newSandboxOrTimeout(t, func() (*Sandbox, error) { return NewSandbox(guestPath(), cfg) })
	if msg := wantCode(t, err, ErrorDebugger); !strings.Contains(msg, "127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("the error %q does not name the port", msg)
	}

	snap, err := newTestSandbox(t).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	err = newSandboxOrTimeout(t, func() (*Sandbox, error) { return NewSandboxFromSnapshot(snap, cfg) })
	wantCode(t, err, ErrorDebugger)
}
