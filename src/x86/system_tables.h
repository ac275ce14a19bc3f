// GDT, TSS (with the I/O-permission bitmap), IDT and the ring-0 exception
// stub, written by the host into pages the guest can neither read nor write.
#pragma once

#include <cstdint>
#include <span>

namespace hl::x86 {

// Segment selectors (index << 3 | RPL).
inline constexpr uint16_t kKernelCodeSelector = 0x08;
inline constexpr uint16_t kKernelDataSelector = 0x10;
inline constexpr uint16_t kUserCodeSelector = 0x18 | 3;
inline constexpr uint16_t kUserDataSelector = 0x20 | 3;
inline constexpr uint16_t kTssSelector = 0x28;

inline constexpr uint64_t kGdtEntries = 7;    // null, kcode, kdata, ucode, udata, TSS (2 slots)
inline constexpr uint64_t kTssOffset = 0x80;  // inside the GDT/TSS page
inline constexpr uint64_t kTssBaseSize = 104;
inline constexpr uint64_t kExceptionVectors = 32;
inline constexpr uint64_t kStubBytesPerVector = 16;
// Vector 3's gate is DPL3 so a ring-3 int3 is a #BP (RIP after the int3), as
// debuggers expect, not a #GP; every other gate is DPL0.
inline constexpr uint64_t kBreakpointVector = 3;
inline constexpr uint64_t kDebugVector = 1;

// The TSS limit, covering the I/O bitmap and its terminating 0xff byte.
uint32_t tss_limit();

// page: host view of the GDT/TSS page at page_gpa. IST1 and RSP0 point at
// exception_stack_top so faults in ring 3 switch to the exception stack.
void write_gdt_and_tss(std::span<uint8_t> page, uint64_t page_gpa, uint64_t exception_stack_top);

// 32 interrupt gates (IST1; DPL0 but for kBreakpointVector's, DPL3) to the
// stub entries at stub_gpa.
void write_idt(std::span<uint8_t> page, uint64_t stub_gpa);

// Per vector: push rax; mov al, vector; out HL_PORT_EXCEPTION, al; pop rax;
// [drop the error code]; iretq. The host reads the CPU's exception frame and
// the guest's RAX (exception_frame) from the exception stack. A failed
// call never resumes the stub; the gdb stub does, after editing the frame,
// which returns the guest to ring 3 without a register ioctl.
// Where, for an exception on `vector`, the CPU's frame words and the RAX
// the stub pushed lie (guest-physical = guest-virtual addresses below
// exception_stack_top). error_code is 0 for vectors without one.
struct ExceptionFrame {
  uint64_t error_code, rip, cs, rflags, rsp, ss, saved_rax;
};
ExceptionFrame exception_frame(uint64_t vector, uint64_t exception_stack_top);
void write_exception_stubs(std::span<uint8_t> page);

// Whether the CPU pushes an error code for this exception vector.
bool vector_has_error_code(uint64_t vector);
// "PageFault", "GeneralProtectionFault", ... or "Reserved".
const char *vector_name(uint64_t vector);

}  // namespace hl::x86
