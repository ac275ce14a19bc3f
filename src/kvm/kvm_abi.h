// C-layout mirrors of the kernel structs that end in a flexible array.
//
// With these kernel headers, __DECLARE_FLEX_ARRAY puts an empty struct in
// front of the array; in C++ an empty struct has size 1, so sizeof() of
// kvm_cpuid2 / kvm_signal_mask differs from C. The ioctl numbers encode that
// size, and the kernel then answers EINVAL. So we build the numbers from the
// C layout ourselves; tests/unit/kvm_abi_test.cpp checks them.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstddef>
#include <cstdint>

namespace hl::kvm {

inline constexpr uint32_t kMaxCpuidEntries = 256;

struct CpuidTable {
  uint32_t nent;
  uint32_t padding;
  kvm_cpuid_entry2 entries[kMaxCpuidEntries];
};
static_assert(offsetof(CpuidTable, entries) == 8, "kvm_cpuid2 C layout: entries at offset 8");
static_assert(sizeof(kvm_cpuid_entry2) == 40, "kvm_cpuid_entry2 size");

// sizeof(struct kvm_cpuid2) in C is 8 (nent + padding).
inline constexpr unsigned long kGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, 8);
inline constexpr unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, 8);

}  // namespace hl::kvm
