// A triple fault is reported as such, never a hang. No guest can cause one
// (the IDT, IST stack and stub are out of its reach), so this test breaks
// the IDT through the internal API and then lets the guest fault.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/error.h"
#include "engine/engine.h"
#include "sandbox/sandbox.h"

namespace {

std::vector<uint8_t> read_file(const char *path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(KvmInternals, BrokenIdtEndsInATripleFault) {
  std::vector<uint8_t> elf = read_file(HL_SIMPLEGUEST_PATH);
  std::unique_ptr<hl::Sandbox> sb = hl::Engine::default_engine()->create_sandbox(hl::SandboxConfig{}, elf);
  const hl::mem::Layout &l = sb->layout();
  std::memset(sb->memory().span(l.idt, hl::mem::kPageSize).data(), 0, hl::mem::kPageSize);
  try {
    sb->call("UndefinedInstruction", nullptr, 0, nullptr);
    FAIL() << "the call succeeded";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kTripleFault) << e.what();
    EXPECT_NE(std::string(e.what()).find("triple fault"), std::string::npos) << e.what();
  }
  try {
    sb->call("Add", nullptr, 0, nullptr);
    FAIL() << "a triple-faulted sandbox accepted a call";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kPoisoned) << e.what();
  }
}

}  // namespace
