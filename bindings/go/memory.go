package hyperlight

/*
#include <stdint.h>
#include <stdlib.h>
#include "hyperlight.h"

// The trampoline in callbacks.c, which calls hlgoFinalize.
void hlgo_finalizer(void *user_data);

// hlgo_map_region maps memory with a cgo.Handle of its SharedMemory as
// user_data (an integer, made a void * here in C, never held by Go as an
// unsafe.Pointer): the library finalizes it when it no longer maps the region.
static hl_error_t *hlgo_map_region(hl_sandbox_t *sandbox, void *host_address, uint64_t size, uint64_t guest_address,
                                   uint32_t flags, uintptr_t handle) {
  return hl_sandbox_map_region(sandbox, host_address, size, guest_address, flags, (void *)handle, hlgo_finalizer);
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// SharedMemory is host memory that can be mapped into sandboxes with
// MapRegion: page-aligned and outside the Go heap (the library keeps its
// address while it is mapped, which cgo forbids for Go memory). Create it
// with AllocateSharedMemory and free it with Close.
//
// Its methods may be called from any goroutine.
type SharedMemory struct {
	mu sync.Mutex
	// mem is the mapping from syscall.Mmap; nil once closed.
	mem []byte
	// maps counts the regions made from mem by MapRegion that the library
	// has not finalized yet; Close refuses while it is not 0.
	maps int
}

// AllocateSharedMemory maps size bytes of zeroed, read-write anonymous
// memory, rounded up to a whole number of pages (4 KiB). It is not freed
// by the garbage collector: call Close.
//
// Errors: ErrorInvalidArgument for a size that is not positive,
// ErrorOutOfMemory if the memory cannot be mapped.
func AllocateSharedMemory(size int) (*SharedMemory, error) {
	page := os.Getpagesize()
	if size <= 0 {
		return nil, newError(ErrorInvalidArgument, fmt.Sprintf("AllocateSharedMemory(%d): the size must be positive", size))
	}
	if size > int(^uint(0)>>1)-page {
		return nil, newError(ErrorOutOfMemory, fmt.Sprintf("AllocateSharedMemory(%d): too large", size))
	}
	n := (size + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return nil, newError(ErrorOutOfMemory, fmt.Sprintf("AllocateSharedMemory(%d): mmap: %v", size, err))
	}
	return &SharedMemory{mem: mem}, nil
}

// Bytes returns the memory, or nil once m is closed. The host may read and
// write it at any time; a guest that has it mapped sees the changes.
//
// The slice is valid only until Close: using it afterwards crashes the
// process (the pages are gone), so do not keep it beyond m's lifetime.
func (m *SharedMemory) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mem
}

// Len returns the size of the memory in bytes (a multiple of 4 KiB), or 0
// once m is closed.
func (m *SharedMemory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.mem)
}

// Close unmaps the memory. It fails with ErrorBusy, and changes nothing,
// while the memory is mapped into a sandbox or held by a snapshot taken
// while it was mapped: call UnmapRegion or close the sandbox, and close
// such snapshots, first. Closing a closed SharedMemory does nothing and
// returns nil.
func (m *SharedMemory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mem == nil {
		return nil
	}
	if m.maps != 0 {
		return newError(ErrorBusy, fmt.Sprintf("SharedMemory.Close: the memory is still mapped or held by a snapshot (%d region(s)); unmap it or close the sandbox, and close the snapshots taken while it was mapped, first", m.maps))
	}
	if err := syscall.Munmap(m.mem); err != nil {
		return newError(ErrorInternal, fmt.Sprintf("SharedMemory.Close: munmap: %v", err))
	}
	m.mem = nil
	return nil
}

// pin counts one more region of m and returns its memory, or fails if m is
// closed. The region's finalizer calls unpin.
func (m *SharedMemory) pin() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mem == nil {
		return nil, newError(ErrorInvalidArgument, "MapRegion: the SharedMemory is closed")
	}
	m.maps++
	return m.mem, nil
}

func (m *SharedMemory) unpin() {
	m.mu.Lock()
	m.maps--
	m.mu.Unlock()
}

// MemorySize returns the size in bytes of the sandbox's own guest memory
// (page tables, image, buffers, heap, stacks, guard pages), reserved rather
// than committed; 0 once the sandbox is closed. Regions mapped with
// MapRegion or MapFile go above it.
func (s *Sandbox) MemorySize() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return uint64(C.hl_sandbox_memory_size(s.ptr)) // 0 for NULL
}

// MapRegion makes m visible to the guest at guestAddress from the next call
// on, all of it (m.Len() bytes). Guest writes to it fail with
// ErrorMemoryAccessViolation; changes the host makes through m.Bytes() are
// seen by the guest.
//
// guestAddress must be 4 KiB-aligned, at or above MemorySize() and below
// 512 GiB (4 << 30 is a safe choice for sandboxes under 4 GiB). flags must
// be MapRead, optionally with MapExecute; MapWrite is refused.
//
// The library holds m (and m.Close fails with ErrorBusy) while the sandbox
// maps it and while a Snapshot taken meanwhile exists: restoring the
// snapshot, or a sandbox made from it, maps it again. It lets go of m once
// no sandbox maps this region and no snapshot records it: after
// UnmapRegion, Close, or a Restore of a snapshot without it, once such
// snapshots are closed too. Sandboxes do not keep the snapshots they were
// made from or restored to.
// Errors include ErrorNotAligned, ErrorRegionOverlap, ErrorInvalidArgument
// (bad flags or address, or m nil or closed), ErrorTooLarge and ErrorBusy
// (a call is running); a MapRegion that fails holds nothing.
func (s *Sandbox) MapRegion(m *SharedMemory, guestAddress uint64, flags MapFlag) error {
	if m == nil {
		return newError(ErrorInvalidArgument, "MapRegion: the SharedMemory is nil")
	}
	ptr, err := s.acquire("MapRegion")
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	mem, err := m.pin() // from here m cannot be unmapped from the host
	if err != nil {
		return err
	}
	// The library owns the handle from here: the region's finalizer
	// (hlgoFinalize) unpins m and deletes it, before hl_sandbox_map_region
	// returns if the map fails. mem is not Go memory (it comes from mmap),
	// so C may keep its address.
	handle := cgo.NewHandle(m)
	cerr := C.hlgo_map_region(ptr, unsafe.Pointer(&mem[0]), C.uint64_t(len(mem)), C.uint64_t(guestAddress),
		C.uint32_t(flags), C.uintptr_t(handle))
	runtime.KeepAlive(s)
	return takeError(cerr)
}

// UnmapRegion removes the region mapped at guestAddress by MapRegion or
// MapFile; later guest accesses to it fail with ErrorMemoryAccessViolation.
// A SharedMemory mapped there is released, unless a Snapshot taken while it
// was mapped still exists (see MapRegion).
// Errors include ErrorRegionNotFound and ErrorBusy (a call is running).
func (s *Sandbox) UnmapRegion(guestAddress uint64) error {
	ptr, err := s.acquire("UnmapRegion")
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	cerr := C.hl_sandbox_unmap_region(ptr, C.uint64_t(guestAddress))
	runtime.KeepAlive(s)
	return takeError(cerr)
}

// MapFile maps a private copy-on-write view of the file at path into the
// guest at guestAddress (rules as for MapRegion), readable and executable.
// The file is never modified. It returns the mapped size, the file's size
// rounded up to 4 KiB. Remove the mapping with UnmapRegion.
//
// Errors include ErrorIo (cannot open or map the file), ErrorInvalidArgument
// (an empty file, a path with a NUL byte), ErrorNotAligned and
// ErrorRegionOverlap.
func (s *Sandbox) MapFile(path string, guestAddress uint64) (uint64, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return 0, newError(ErrorInvalidArgument, "MapFile: the path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	ptr, err := s.acquire("MapFile")
	if err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var size C.uint64_t
	cerr := C.hl_sandbox_map_file_cow(ptr, cpath, C.uint64_t(guestAddress), &size)
	runtime.KeepAlive(s)
	if err := takeError(cerr); err != nil {
		return 0, err
	}
	return uint64(size), nil
}

// CounterIncrement adds one to the sandbox's guest counter, a uint64 the
// host owns and the guest can only read (hlg_counter); it starts at 0. It
// returns the new value. At math.MaxUint64 it fails with ErrorOutOfRange
// and leaves the counter unchanged.
//
// The counter methods may be called from any goroutine, also while a call
// is running (from a host function, for instance).
func (s *Sandbox) CounterIncrement() (uint64, error) {
	ptr, err := s.acquire("CounterIncrement")
	if err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var value C.uint64_t
	if err := takeError(C.hl_sandbox_counter_increment(ptr, &value)); err != nil {
		return 0, err
	}
	return uint64(value), nil
}

// CounterDecrement subtracts one from the sandbox's guest counter and
// returns the new value. At 0 it fails with ErrorOutOfRange and leaves the
// counter unchanged.
func (s *Sandbox) CounterDecrement() (uint64, error) {
	ptr, err := s.acquire("CounterDecrement")
	if err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var value C.uint64_t
	if err := takeError(C.hl_sandbox_counter_decrement(ptr, &value)); err != nil {
		return 0, err
	}
	return uint64(value), nil
}

// CounterValue returns the sandbox's guest counter (the host's own copy,
// never read back from the guest), or 0 once the sandbox is closed.
func (s *Sandbox) CounterValue() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return uint64(C.hl_sandbox_counter_value(s.ptr)) // 0 for NULL
}
