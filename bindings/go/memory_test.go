package hyperlight

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// guestAddress is far above any test sandbox's own memory.
const guestAddress = 4 << 30

// newPatternMemory allocates size bytes whose every 8-byte word holds
// 0xC0DE000000000000 + its offset; it is closed when the test ends.
func newPatternMemory(t *testing.T, size int) *SharedMemory {
	t.Helper()
	m, err := AllocateSharedMemory(size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("SharedMemory.Close: %v", err)
		}
	})
	b := m.Bytes()
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], 0xC0DE000000000000+uint64(i))
	}
	return m
}

func pattern(offset uint64) int64 { return int64(0xC0DE000000000000 + offset) }

func readGuest(sb *Sandbox, address uint64) (int64, error) {
	v, err := sb.Call("ReadAddress", int64(address))
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

func TestMemorySize(t *testing.T) {
	small := newTestSandbox(t)
	size := small.MemorySize()
	if size == 0 || size >= guestAddress {
		t.Fatalf("MemorySize() = %d, want between 0 and 4 GiB", size)
	}
	big := newConfiguredSandbox(t, guestPath(), &Config{HeapSize: 64 << 20})
	if got := big.MemorySize(); got < size+60<<20 {
		t.Fatalf("MemorySize() with a 64 MiB heap = %d, default %d", got, size)
	}
}

func TestAllocateSharedMemory(t *testing.T) {
	m, err := AllocateSharedMemory(100)
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 4096 || len(m.Bytes()) != 4096 {
		t.Fatalf("AllocateSharedMemory(100): Len() = %d, want 4096 (a whole page)", m.Len())
	}
	for i, b := range m.Bytes() {
		if b != 0 {
			t.Fatalf("byte %d is %#x, want zeroed memory", i, b)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if m.Bytes() != nil || m.Len() != 0 {
		t.Fatal("a closed SharedMemory still has bytes")
	}
	for _, size := range []int{0, -1} {
		_, err := AllocateSharedMemory(size)
		wantCode(t, err, ErrorInvalidArgument)
	}
}

func TestGuestReadsMappedMemory(t *testing.T) {
	sb := newTestSandbox(t)
	m := newPatternMemory(t, 8192)
	if err := sb.MapRegion(m, guestAddress, MapRead); err != nil {
		t.Fatal(err)
	}
	for _, off := range []uint64{0, 0x1008, 8192 - 8} {
		got, err := readGuest(sb, guestAddress+off)
		if err != nil {
			t.Fatal(err)
		}
		if got != pattern(off) {
			t.Fatalf("ReadAddress(%#x) = %#x, want %#x", guestAddress+off, got, pattern(off))
		}
	}
	// The memory is shared, not copied: host changes are visible.
	binary.LittleEndian.PutUint64(m.Bytes()[16:], 42)
	if got, err := readGuest(sb, guestAddress+16); err != nil || got != 42 {
		t.Fatalf("ReadAddress after a host write = %d, %v; want 42", got, err)
	}

	// Mapped memory cannot be freed.
	wantCode(t, m.Close(), ErrorBusy)
	if m.Len() != 8192 {
		t.Fatal("a refused Close changed the memory")
	}

	if err := sb.UnmapRegion(guestAddress); err != nil {
		t.Fatal(err)
	}
	_, err := readGuest(sb, guestAddress)
	if msg := wantCode(t, err, ErrorMemoryAccessViolation); !strings.Contains(msg, "0x100000000") {
		t.Fatalf("message %q does not name the address", msg)
	}
	// Unmapped: the memory is the caller's again (closed by the cleanup).
}

func TestGuestWriteToMappedMemoryIsAViolation(t *testing.T) {
	sb := newTestSandbox(t)
	m := newPatternMemory(t, 4096)
	if err := sb.MapRegion(m, guestAddress, MapRead); err != nil {
		t.Fatal(err)
	}
	_, err := sb.Call("WriteAddress", int64(guestAddress+0x20))
	if msg := wantCode(t, err, ErrorMemoryAccessViolation); !strings.Contains(msg, "mapped region") {
		t.Fatalf("message %q does not name the region", msg)
	}
	if got := int64(binary.LittleEndian.Uint64(m.Bytes()[0x20:])); got != pattern(0x20) {
		t.Fatalf("the host memory changed to %#x", got)
	}
	// Closing the sandbox releases the memory.
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("SharedMemory.Close after the sandbox's Close: %v", err)
	}
}

func TestSharedMemoryInTwoSandboxes(t *testing.T) {
	a, b := newTestSandbox(t), newTestSandbox(t)
	m := newPatternMemory(t, 4096)
	for _, sb := range []*Sandbox{a, b} {
		if err := sb.MapRegion(m, guestAddress, MapRead); err != nil {
			t.Fatal(err)
		}
	}
	binary.LittleEndian.PutUint64(m.Bytes()[8:], 7)
	for _, sb := range []*Sandbox{a, b} {
		if got, err := readGuest(sb, guestAddress+8); err != nil || got != 7 {
			t.Fatalf("ReadAddress = %d, %v; want 7", got, err)
		}
	}
	if err := a.UnmapRegion(guestAddress); err != nil {
		t.Fatal(err)
	}
	wantCode(t, m.Close(), ErrorBusy) // still mapped in b
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMapRegionMisuse(t *testing.T) {
	sb := newTestSandbox(t)
	m := newPatternMemory(t, 8192)
	cases := []struct {
		what    string
		address uint64
		flags   MapFlag
		code    ErrorCode
	}{
		{"unaligned address", guestAddress + 1, MapRead, ErrorNotAligned},
		{"inside guest memory", 0x2000, MapRead, ErrorRegionOverlap},
		{"writable", guestAddress, MapRead | MapWrite, ErrorInvalidArgument},
		{"no MapRead", guestAddress, MapExecute, ErrorInvalidArgument},
		{"past 512 GiB", 1 << 40, MapRead, ErrorInvalidArgument},
	}
	for _, c := range cases {
		err := sb.MapRegion(m, c.address, c.flags)
		if !errors.Is(err, &Error{Code: c.code}) {
			t.Errorf("%s: MapRegion = %v, want %v", c.what, err, c.code)
		}
	}
	wantCode(t, sb.MapRegion(nil, guestAddress, MapRead), ErrorInvalidArgument)
	wantCode(t, sb.UnmapRegion(guestAddress), ErrorRegionNotFound)

	// None of the failures kept the memory: it can be closed and reused.
	if err := sb.MapRegion(m, guestAddress, MapRead|MapExecute); err != nil {
		t.Fatal(err)
	}
	wantCode(t, sb.MapRegion(m, guestAddress+4096, MapRead), ErrorRegionOverlap)
	wantCode(t, sb.UnmapRegion(guestAddress+4096), ErrorRegionNotFound)
	if err := sb.UnmapRegion(guestAddress); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close after failed maps and an unmap: %v", err)
	}
	wantCode(t, sb.MapRegion(m, guestAddress, MapRead), ErrorInvalidArgument) // closed memory
}

func TestMapRegionDuringACallIsBusy(t *testing.T) {
	sb := newTestSandbox(t)
	m := newPatternMemory(t, 4096)
	var inner []error
	err := sb.Register("HostAdd", func(a, b int32) int32 {
		inner = append(inner, sb.MapRegion(m, guestAddress, MapRead), sb.UnmapRegion(guestAddress))
		_, err := sb.MapFile(guestPath(), guestAddress)
		inner = append(inner, err)
		return a + b
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("AddViaHost = %#v", got)
	}
	for _, err := range inner {
		wantCode(t, err, ErrorBusy)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("a refused MapRegion kept the memory: %v", err)
	}
}

func TestMapFile(t *testing.T) {
	content := []byte(strings.Repeat("A", 5000))
	copy(content[4096:], "HELLO!!!")
	path := filepath.Join(t.TempDir(), "mapped.bin")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	sb := newTestSandbox(t)
	size, err := sb.MapFile(path, guestAddress)
	if err != nil {
		t.Fatal(err)
	}
	if size != 8192 {
		t.Fatalf("MapFile size = %d, want 8192 (5000 rounded up to pages)", size)
	}
	got, err := readGuest(sb, guestAddress+4096)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(binary.LittleEndian.Uint64([]byte("HELLO!!!"))); got != want {
		t.Fatalf("ReadAddress = %#x, want %#x (\"HELLO!!!\")", got, want)
	}
	_, err = sb.MapFile(path, guestAddress)
	wantCode(t, err, ErrorRegionOverlap)
	if err := sb.UnmapRegion(guestAddress); err != nil {
		t.Fatal(err)
	}
	_, err = readGuest(sb, guestAddress+4096)
	wantCode(t, err, ErrorMemoryAccessViolation)
	if after, err := os.ReadFile(path); err != nil || string(after) != string(content) {
		t.Fatalf("the file changed: %v", err)
	}
}

func TestMapFileErrors(t *testing.T) {
	sb := newTestSandbox(t)
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sb.MapFile(empty, guestAddress)
	if msg := wantCode(t, err, ErrorInvalidArgument); !strings.Contains(msg, "empty") {
		t.Fatalf("message %q does not say the file is empty", msg)
	}
	_, err = sb.MapFile("/nonexistent/file", guestAddress)
	wantCode(t, err, ErrorIo)
	_, err = sb.MapFile(guestPath()+"\x00", guestAddress)
	wantCode(t, err, ErrorInvalidArgument)
	_, err = sb.MapFile(guestPath(), guestAddress+12)
	wantCode(t, err, ErrorNotAligned)
}

func TestCounter(t *testing.T) {
	sb := newTestSandbox(t)
	if v := sb.CounterValue(); v != 0 {
		t.Fatalf("CounterValue() = %d, want 0", v)
	}
	_, err := sb.CounterDecrement()
	wantCode(t, err, ErrorOutOfRange)
	if v := sb.CounterValue(); v != 0 {
		t.Fatalf("a refused decrement changed the counter to %d", v)
	}
	for want := uint64(1); want <= 3; want++ {
		v, err := sb.CounterIncrement()
		if err != nil || v != want {
			t.Fatalf("CounterIncrement() = %d, %v; want %d", v, err, want)
		}
	}
	if got := mustCall(t, sb, "ReadCounter"); got != int64(3) {
		t.Fatalf("the guest's ReadCounter() = %#v, want int64(3)", got)
	}
	if v, err := sb.CounterDecrement(); err != nil || v != 2 {
		t.Fatalf("CounterDecrement() = %d, %v; want 2", v, err)
	}
	if got := mustCall(t, sb, "ReadCounter"); got != int64(2) || sb.CounterValue() != 2 {
		t.Fatalf("ReadCounter() = %#v, CounterValue() = %d; want 2", got, sb.CounterValue())
	}
}

func TestCounterDuringACall(t *testing.T) {
	sb := newTestSandbox(t)
	// The counter may change while a call runs, here from its host function.
	err := sb.Register("HostAdd", func(a, b int32) (int32, error) {
		if _, err := sb.CounterIncrement(); err != nil {
			return 0, err
		}
		return a + b, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "CountViaHost", int32(10)); got != int32(10) {
		t.Fatalf("CountViaHost(10) = %#v", got)
	}
	if v := sb.CounterValue(); v != 10 {
		t.Fatalf("CounterValue() = %d, want 10", v)
	}
	if got := mustCall(t, sb, "ReadCounter"); got != int64(10) {
		t.Fatalf("ReadCounter() = %#v, want int64(10)", got)
	}
}

func TestMemoryMethodsOnAClosedSandbox(t *testing.T) {
	sb, err := NewSandbox(guestPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.CounterIncrement(); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if sb.MemorySize() != 0 || sb.CounterValue() != 0 {
		t.Fatal("a closed sandbox reports a size or a counter")
	}
	_, err = sb.CounterIncrement()
	wantCode(t, err, ErrorInvalidArgument)
	_, err = sb.CounterDecrement()
	wantCode(t, err, ErrorInvalidArgument)
	m := newPatternMemory(t, 4096)
	wantCode(t, sb.MapRegion(m, guestAddress, MapRead), ErrorInvalidArgument)
	wantCode(t, sb.UnmapRegion(guestAddress), ErrorInvalidArgument)
	_, err = sb.MapFile(guestPath(), guestAddress)
	wantCode(t, err, ErrorInvalidArgument)
}
