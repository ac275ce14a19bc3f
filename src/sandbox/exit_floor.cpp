#include "sandbox/exit_floor.h"

#include <cstring>

#include "abi/hl_abi.h"

namespace hl {
namespace {

static_assert(HL_PORT_DONE <= 0xff, "out imm8 needs a port below 256");
// out imm8, eax ; jmp -4 (back to the out)
constexpr std::array<uint8_t, 4> kExitLoop = {0xE7, static_cast<uint8_t>(HL_PORT_DONE), 0xEB, 0xFC};

}  // namespace

ExitFloor::ExitFloor(Sandbox &sandbox) : sandbox_(sandbox), busy_(sandbox.busy_) {
  if (sandbox_.poisoned())
    throw Error(ErrorCode::kPoisoned, "ExitFloor: the sandbox is poisoned (" + sandbox_.poisoned_reason_ + ")");
  // Guest addresses are identity-mapped (x86/page_tables.h).
  std::span<uint8_t> code = sandbox_.memory_.span(sandbox_.guest_.dispatch_address, kExitLoop.size());
  std::memcpy(saved_code_.data(), code.data(), saved_code_.size());
  std::memcpy(code.data(), kExitLoop.data(), kExitLoop.size());
  sandbox_.write_entry_registers();  // the first run enters at the out, as a call enters at dispatch
}

ExitFloor::~ExitFloor() {
  std::memcpy(sandbox_.memory_.span(sandbox_.guest_.dispatch_address, saved_code_.size()).data(), saved_code_.data(),
              saved_code_.size());
  sandbox_.vcpu_state_unknown_ = true;
  sandbox_.poisoned_reason_ = "it served as the benchmark's exit floor";
}

bool ExitFloor::exit_once() const {
  if (sandbox_.vcpu_.run() != 0) return false;
  const kvm_run *run = sandbox_.vcpu_.run_state();
  return run->exit_reason == KVM_EXIT_IO && run->io.port == HL_PORT_DONE;
}

bool ExitFloor::enter_and_exit() const {
  sandbox_.write_entry_registers();
  return exit_once();
}

}  // namespace hl
