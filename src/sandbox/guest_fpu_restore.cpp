// After a restore the guest, not a vCPU ioctl, loads the snapshot's x87/SSE
// state: the host leaves it in the PEB and the guest's call entry loads it
// with FXRSTOR before anything else runs (abi/hl_abi.h, fpu_restore). The
// PEB is read-only to the guest and its code after a restore is the
// snapshot's, so the state cannot be skipped or forged. Everything that
// reads the vCPU's state before the guest has run (snapshots, cores, a
// debugger's stop, the exactness tests) loads it the usual way first.
#include <cstddef>
#include <cstring>

#include "abi/hl_abi.h"
#include "sandbox/sandbox.h"
#include "x86/cpu_state.h"

namespace hl {

static_assert(offsetof(hl_peb, fpu_restore) == HL_PEB_FPU_RESTORE_OFFSET, "PEB layout");
static_assert(offsetof(hl_peb, fpu_image) == HL_PEB_FPU_IMAGE_OFFSET, "PEB layout");

void Sandbox::leave_fpu_for_guest(const std::shared_ptr<const Snapshot> &snapshot) {
  const std::array<uint8_t, 512> image = fxsave_image(snapshot->vcpu.xsave);
  static_assert(sizeof(hl_peb::fpu_image) == image.size());
  std::memcpy(memory_.span(layout_.peb + offsetof(hl_peb, fpu_image), image.size()).data(), image.data(), image.size());
  const uint32_t requested = 1;
  std::memcpy(memory_.span(layout_.peb + offsetof(hl_peb, fpu_restore), sizeof requested).data(), &requested,
              sizeof requested);
  fpu_for_guest_ = snapshot;
}

// The PEB's request area back to zero, as in every snapshot (which is taken
// with nothing pending): once the guest has run, memory is the snapshot's.
void Sandbox::clear_fpu_request() {
  constexpr size_t begin = offsetof(hl_peb, fpu_restore);
  constexpr size_t end = offsetof(hl_peb, fpu_image) + sizeof(hl_peb::fpu_image);
  std::memset(memory_.span(layout_.peb + begin, end - begin).data(), 0, end - begin);
  fpu_for_guest_.reset();
}

void Sandbox::load_pending_fpu() {
  if (fpu_for_guest_ == nullptr) return;
  vcpu_.set_xsave(fpu_for_guest_->vcpu.xsave);
  clear_fpu_request();
}

}  // namespace hl
