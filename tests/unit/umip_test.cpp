// Where the CPU offers UMIP the host sets CR4.UMIP, so ring-3 code cannot
// learn where the GDT and IDT are (sgdt/sidt fault instead). Internal API:
// whether KVM offers UMIP is not part of the C ABI.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "common/error.h"
#include "engine/engine.h"
#include "sandbox/sandbox.h"
#include "x86/cpu_state.h"

namespace {

TEST(Umip, RingThreeCannotReadTheGdtRegisterWhereTheCpuOffersUmip) {
  std::ifstream f(HL_HOSTILEGUEST_PATH, std::ios::binary);
  std::vector<uint8_t> elf{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  auto sb = hl::Engine::default_engine()->create_sandbox(hl::SandboxConfig{}, elf);
  const bool umip = (hl::Engine::default_engine()->host_cr4() & hl::kCr4Umip) != 0;
  EXPECT_EQ((sb->vcpu_state().sregs.cr4 & (1ull << 11)) != 0, umip);
  hl::Val result{};
  try {
    sb->call("StoreGdtRegister", nullptr, 0, &result);
    EXPECT_FALSE(umip) << "sgdt ran in ring 3 with CR4.UMIP set";
  } catch (const hl::Error &e) {
    EXPECT_TRUE(umip) << e.what();
    EXPECT_EQ(e.code(), hl::ErrorCode::kGuestException) << e.what();
    EXPECT_NE(std::string(e.what()).find("GeneralProtectionFault"), std::string::npos) << e.what();
  }
}

}  // namespace
