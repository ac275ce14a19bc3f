#include "x86/system_tables.h"

#include <cstring>

#include "abi/hl_abi.h"

namespace hl::x86 {
namespace {

template <typename T>
void put(std::span<uint8_t> page, uint64_t offset, T value) {
  std::memcpy(page.data() + offset, &value, sizeof value);
}

// Descriptor values known to work for 64-bit code/data (see DESIGN.md):
// P, S, type, DPL, L (code) or D/B (data), G, limit 0xfffff.
constexpr uint64_t kKernelCode = 0x00AF9B000000FFFFull;
constexpr uint64_t kKernelData = 0x00CF93000000FFFFull;
constexpr uint64_t kUserCode = 0x00AFFB000000FFFFull;
constexpr uint64_t kUserData = 0x00CFF3000000FFFFull;

// The I/O bitmap covers ports 0 .. kIoBitmapPorts-1; a set bit denies.
constexpr uint64_t kIoBitmapPorts = 128;
constexpr uint64_t kIoBitmapBytes = kIoBitmapPorts / 8;
constexpr uint32_t kLastOpenPort = HL_PORT_LAST_GUEST + 3;
static_assert(kLastOpenPort < HL_PORT_EXCEPTION, "ring 3 must never reach the exception port");
static_assert(kLastOpenPort < kIoBitmapPorts, "the I/O bitmap must cover every open port");

}  // namespace

uint32_t tss_limit() { return static_cast<uint32_t>(kTssBaseSize + kIoBitmapBytes); }

void write_gdt_and_tss(std::span<uint8_t> page, uint64_t page_gpa, uint64_t exception_stack_top) {
  std::memset(page.data(), 0, page.size());
  put<uint64_t>(page, 0x08, kKernelCode);
  put<uint64_t>(page, 0x10, kKernelData);
  put<uint64_t>(page, 0x18, kUserCode);
  put<uint64_t>(page, 0x20, kUserData);

  // 64-bit busy TSS (type 0xB), matching the TR loaded through KVM_SET_SREGS.
  const uint64_t base = page_gpa + kTssOffset;
  const uint64_t limit = tss_limit();
  uint64_t low = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0xBull << 40) | (1ull << 47) |
                 (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  put<uint64_t>(page, 0x28, low);
  put<uint64_t>(page, 0x30, base >> 32);

  put<uint64_t>(page, kTssOffset + 4, exception_stack_top);                    // RSP0
  put<uint64_t>(page, kTssOffset + 36, exception_stack_top);                   // IST1
  put<uint16_t>(page, kTssOffset + 102, static_cast<uint16_t>(kTssBaseSize));  // I/O map base
  uint8_t *bitmap = page.data() + kTssOffset + kTssBaseSize;
  std::memset(bitmap, 0xff, kIoBitmapBytes + 1);  // deny all; the extra byte ends the map
  // A 32-bit OUT checks the bits of all four ports it spans, so the last
  // guest port needs three more open. Those extra ports are still "unknown"
  // to the host, which poisons a guest that uses them.
  for (uint32_t port = HL_PORT_FIRST_GUEST; port <= kLastOpenPort; port++)
    bitmap[port / 8] &= static_cast<uint8_t>(~(1u << (port % 8)));
}

void write_idt(std::span<uint8_t> page, uint64_t stub_gpa) {
  std::memset(page.data(), 0, page.size());
  for (uint64_t v = 0; v < kExceptionVectors; v++) {
    const uint64_t handler = stub_gpa + v * kStubBytesPerVector;
    const uint64_t e = v * 16;
    put<uint16_t>(page, e + 0, static_cast<uint16_t>(handler));
    put<uint16_t>(page, e + 2, kKernelCodeSelector);
    put<uint8_t>(page, e + 4, 1);  // IST1: a known-good stack even on overflow
    // Present, 64-bit interrupt gate (IF and TF cleared on entry), DPL0 or 3.
    put<uint8_t>(page, e + 5, v == kBreakpointVector ? 0xEE : 0x8E);
    put<uint16_t>(page, e + 6, static_cast<uint16_t>(handler >> 16));
    put<uint32_t>(page, e + 8, static_cast<uint32_t>(handler >> 32));
  }
}

void write_exception_stubs(std::span<uint8_t> page) {
  std::memset(page.data(), 0xCC, page.size());  // int3 filler
  for (uint64_t v = 0; v < kExceptionVectors; v++) {
    uint8_t *stub = page.data() + v * kStubBytesPerVector;
    const uint8_t report[] = {
        0x50,                                           // push rax (exception_frame().saved_rax)
        0xB0, static_cast<uint8_t>(v),                  // mov al, v
        0xE6, static_cast<uint8_t>(HL_PORT_EXCEPTION),  // out imm8, al
        0x58,                                           // pop rax
    };
    std::memcpy(stub, report, sizeof report);
    stub += sizeof report;
    if (vector_has_error_code(v)) {
      const uint8_t drop_error_code[] = {0x48, 0x8D, 0x64, 0x24, 0x08};  // lea rsp, [rsp + 8]
      std::memcpy(stub, drop_error_code, sizeof drop_error_code);
      stub += sizeof drop_error_code;
    }
    const uint8_t iretq[] = {0x48, 0xCF};
    std::memcpy(stub, iretq, sizeof iretq);
  }
}

ExceptionFrame exception_frame(uint64_t vector, uint64_t exception_stack_top) {
  // The CPU pushed SS, RSP, RFLAGS, CS, RIP [, error code] from the top down;
  // the stub's `push rax` went just below.
  const uint64_t rip = exception_stack_top - 5 * 8;
  const uint64_t lowest = vector_has_error_code(vector) ? rip - 8 : rip;
  return {vector_has_error_code(vector) ? lowest : 0, rip, rip + 8, rip + 16, rip + 24, rip + 32, lowest - 8};
}

bool vector_has_error_code(uint64_t vector) {
  switch (vector) {
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 17:
    case 21:
    case 29:
    case 30: return true;
    default: return false;
  }
}

const char *vector_name(uint64_t vector) {
  static const char *const kNames[kExceptionVectors] = {"DivideError",
                                                        "Debug",
                                                        "NonMaskableInterrupt",
                                                        "Breakpoint",
                                                        "Overflow",
                                                        "BoundRangeExceeded",
                                                        "InvalidOpcode",
                                                        "DeviceNotAvailable",
                                                        "DoubleFault",
                                                        "CoprocessorSegmentOverrun",
                                                        "InvalidTss",
                                                        "SegmentNotPresent",
                                                        "StackSegmentFault",
                                                        "GeneralProtectionFault",
                                                        "PageFault",
                                                        "Reserved",
                                                        "X87FloatingPoint",
                                                        "AlignmentCheck",
                                                        "MachineCheck",
                                                        "SimdFloatingPoint",
                                                        "Virtualization",
                                                        "ControlProtection",
                                                        "Reserved",
                                                        "Reserved",
                                                        "Reserved",
                                                        "Reserved",
                                                        "Reserved",
                                                        "Reserved",
                                                        "HypervisorInjection",
                                                        "VmmCommunication",
                                                        "Security",
                                                        "Reserved"};
  return vector < kExceptionVectors ? kNames[vector] : "Reserved";
}

}  // namespace hl::x86
