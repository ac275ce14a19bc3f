// The benchmarks' exit floor (src/sandbox/exit_floor.h) on a real sandbox:
// it exits once per run and leaves the sandbox poisoned but restorable, so a
// bench that reuses a sandbox cannot measure a half-replaced guest.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "common/error.h"
#include "engine/engine.h"
#include "sandbox/exit_floor.h"
#include "sandbox/sandbox.h"

namespace {

std::vector<uint8_t> read_file(const char *path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

hl::Val i32(int32_t v) {
  hl::Val val{};
  val.kind = hl::ValKind::kI32;
  val.of.i32 = v;
  return val;
}

TEST(ExitFloor, ExitsOncePerRunThenLeavesTheSandboxRestorable) {
  std::vector<uint8_t> elf = read_file(HL_SIMPLEGUEST_PATH);
  std::unique_ptr<hl::Sandbox> sb = hl::Engine::default_engine()->create_sandbox(hl::SandboxConfig{}, elf);
  std::shared_ptr<const hl::Snapshot> clean = sb->snapshot();
  {
    hl::ExitFloor floor(*sb);
    for (int i = 0; i < 100; i++) {
      ASSERT_TRUE(floor.exit_once()) << "run " << i;
      ASSERT_TRUE(floor.enter_and_exit()) << "run " << i;
    }
    // It holds the sandbox: nothing else may run on it meanwhile.
    try {
      sb->call("Add", nullptr, 0, nullptr);
      FAIL() << "a call ran during the floor";
    } catch (const hl::Error &e) {
      EXPECT_EQ(e.code(), hl::ErrorCode::kBusy) << e.what();
    }
  }
  EXPECT_TRUE(sb->poisoned());
  try {
    hl::ExitFloor again(*sb);
    FAIL() << "a poisoned sandbox became a floor";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kPoisoned) << e.what();
  }
  // The guest's code is back: after a restore, calls work as before.
  sb->restore(clean);
  const hl::Val args[2] = {i32(40), i32(2)};
  hl::Val result;
  sb->call("Add", args, 2, &result);
  EXPECT_EQ(result.of.i32, 42);
}

}  // namespace
