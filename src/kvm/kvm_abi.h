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

// kvm_msrs: nmsrs + pad, then the entries (C sizeof 8).
inline constexpr uint32_t kMaxMsrEntries = 16;
struct MsrList {
  uint32_t nmsrs;
  uint32_t padding;
  kvm_msr_entry entries[kMaxMsrEntries];
};
static_assert(offsetof(MsrList, entries) == 8, "kvm_msrs C layout: entries at offset 8");
inline constexpr unsigned long kGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8);
inline constexpr unsigned long kSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, 8);

// kvm_xsave: a 4 KiB region, then a flexible array this code never uses
// (KVM_CAP_XSAVE2 reports 4096 here: no dynamic features are enabled).
struct XsaveArea {
  uint32_t region[1024];
};
inline constexpr unsigned long kGetXsave = _IOC(_IOC_READ, KVMIO, 0xa4, sizeof(XsaveArea));
inline constexpr unsigned long kSetXsave = _IOC(_IOC_WRITE, KVMIO, 0xa5, sizeof(XsaveArea));

}  // namespace hl::kvm
