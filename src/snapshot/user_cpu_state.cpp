#include "snapshot/user_cpu_state.h"

#include <cstring>

#include "common/error.h"
#include "x86/cpu_state.h"
#include "x86/system_tables.h"

namespace hl {
namespace {

// The FXSAVE image at the start of the XSAVE area (Intel SDM vol. 1, table
// 10-2, 64-bit form) and the XSAVE header's XSTATE_BV after it.
constexpr size_t kFcw = 0, kFsw = 2, kFtw = 4, kFop = 6, kFip = 8, kFdp = 16, kMxcsr = 24, kSt = 32, kXmm = 160;
constexpr size_t kStStride = 16, kXmmStride = 16, kXstateBv = 512;

constexpr uint64_t kRflagsFixed = 0x2;
constexpr uint64_t kRflagsResume = 1ull << 16;  // RF: the CPU's, harmless, dropped

bool canonical(uint64_t address) {
  const uint64_t top = address >> 47;
  return top == 0 || top == 0x1ffff;
}

template <typename T>
void get(const uint8_t *area, size_t offset, T &value) {
  std::memcpy(&value, area + offset, sizeof value);
}

template <typename T>
void put(uint8_t *area, size_t offset, const T &value) {
  std::memcpy(area + offset, &value, sizeof value);
}

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

UserCpuState user_cpu_state(const kvm::VcpuState &s) {
  UserCpuState u;
  const kvm_regs &r = s.regs;
  const uint64_t gprs[16] = {r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp,
                             r.r8,  r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15};
  std::memcpy(u.gprs, gprs, sizeof gprs);
  u.rip = r.rip;
  u.rflags = r.rflags;
  u.ds = s.sregs.ds.selector;
  u.es = s.sregs.es.selector;
  u.fs = s.sregs.fs.selector;
  u.gs = s.sregs.gs.selector;
  u.fs_base = s.sregs.fs.base;
  u.gs_base = s.sregs.gs.base;
  const auto *area = reinterpret_cast<const uint8_t *>(s.xsave.region);
  get(area, kFcw, u.fcw);
  get(area, kFsw, u.fsw);
  get(area, kFtw, u.ftw);
  get(area, kFop, u.fop);
  get(area, kFip, u.fip);
  get(area, kFdp, u.fdp);
  get(area, kMxcsr, u.mxcsr);
  for (int i = 0; i < 8; i++) std::memcpy(u.st[i], area + kSt + i * kStStride, sizeof u.st[i]);
  for (int i = 0; i < 16; i++) std::memcpy(u.xmm[i], area + kXmm + i * kXmmStride, sizeof u.xmm[i]);
  uint64_t xstate_bv;
  get(area, kXstateBv, xstate_bv);
  u.xstate_bv = xstate_bv & kGuestXstateComponents;  // KVM also reports PKRU, which ring 3 cannot touch here
  return u;
}

std::string check_user_cpu_state(const UserCpuState &u, const mem::Layout &l) {
  if (u.rip < l.image || u.rip >= l.image + l.image_size)
    return format("RIP 0x%llx is outside the guest image", ull(u.rip));
  if ((u.rflags & kRflagsFixed) == 0 || (u.rflags & ~(kUserRflags | kRflagsFixed | kRflagsResume)) != 0)
    return format("RFLAGS 0x%llx sets bits ring-3 code cannot (IF, IOPL, NT, VM or reserved ones)", ull(u.rflags));
  for (uint16_t selector : {u.ds, u.es, u.fs, u.gs})
    if (selector != 0 && selector != x86::kUserDataSelector)
      return format("data segment selector 0x%x is neither null nor the user data selector", selector);
  if (!canonical(u.fs_base) || !canonical(u.gs_base)) return "an FS or GS base is not a canonical address";
  if ((u.mxcsr & ~kMxcsrValidBits) != 0) return format("MXCSR 0x%x sets reserved bits", u.mxcsr);
  if ((u.xstate_bv & ~kGuestXstateComponents) != 0)
    return format("XSTATE_BV 0x%llx names components other than x87 and SSE", ull(u.xstate_bv));
  return {};
}

kvm::VcpuState vcpu_state_with(const UserCpuState &u, const mem::Layout &l, uint64_t cr4) {
  kvm::VcpuState s = boot_vcpu_state(l, cr4);
  kvm_regs &r = s.regs;
  __u64 *const gprs[16] = {&r.rax, &r.rbx, &r.rcx, &r.rdx, &r.rsi, &r.rdi, &r.rsp, &r.rbp,
                           &r.r8,  &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15};
  for (int i = 0; i < 16; i++) *gprs[i] = u.gprs[i];
  r.rip = u.rip;
  r.rflags = (u.rflags & kUserRflags) | kRflagsFixed;
  auto data_segment = [](uint16_t selector, uint64_t base) {
    kvm_segment seg = selector == 0 ? null_segment() : user_data_segment();
    seg.base = base;
    return seg;
  };
  s.sregs.ds = data_segment(u.ds, 0);
  s.sregs.es = data_segment(u.es, 0);
  s.sregs.fs = data_segment(u.fs, u.fs_base);
  s.sregs.gs = data_segment(u.gs, u.gs_base);
  auto *area = reinterpret_cast<uint8_t *>(s.xsave.region);
  put(area, kFcw, u.fcw);
  put(area, kFsw, u.fsw);
  put(area, kFtw, u.ftw);
  put(area, kFop, u.fop);
  put(area, kFip, u.fip);
  put(area, kFdp, u.fdp);
  put(area, kMxcsr, u.mxcsr);
  for (int i = 0; i < 8; i++) std::memcpy(area + kSt + i * kStStride, u.st[i], sizeof u.st[i]);
  for (int i = 0; i < 16; i++) std::memcpy(area + kXmm + i * kXmmStride, u.xmm[i], sizeof u.xmm[i]);
  put(area, kXstateBv, u.xstate_bv);
  return s;
}

}  // namespace hl
