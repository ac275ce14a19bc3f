// lua.elf (guests/lua) through the public C ABI: the script corpus of
// tests/scripts/lua (its README says how a script states what it expects),
// one sandbox restored to one snapshot for every script, and what the corpus
// cannot say: a restore undoes a script's changes, state persists between
// calls without one, limits leave a usable sandbox.
#include <gtest/gtest.h>

#include <string>

#include "script_corpus.h"
#include "test_support.h"

namespace {

using script_corpus::eval;
using script_corpus::kScriptTimeoutNs;
using script_corpus::Outcome;
using script_corpus::snapshot_of;
using script_corpus::SnapshotPtr;

// A lua.elf sandbox whose printed output lands in *printed.
SandboxPtr new_lua_sandbox(std::string *printed) {
  return script_corpus::new_sandbox_printing_to(HL_LUA_GUEST_PATH, printed);
}

// The corpus, by the runner every script guest shares (script_corpus.h).
class LuaCorpus : public testing::TestWithParam<script_corpus::Script> {
 protected:
  static void SetUpTestSuite() { sandbox_ = new script_corpus::CorpusSandbox(HL_LUA_GUEST_PATH); }
  static void TearDownTestSuite() { delete sandbox_; }
  static script_corpus::CorpusSandbox *sandbox_;
};
script_corpus::CorpusSandbox *LuaCorpus::sandbox_;

TEST_P(LuaCorpus, Runs) { sandbox_->run(GetParam(), GetParam().name + ".lua"); }

INSTANTIATE_TEST_SUITE_P(Scripts, LuaCorpus,
                         testing::ValuesIn(script_corpus::corpus(HL_LUA_SCRIPTS_DIR, ".lua", "-- ")),
                         [](const testing::TestParamInfo<script_corpus::Script> &script) { return script.param.name; });

// ---- beyond the corpus

TEST(LuaGuest, TheCliExampleReturns42) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  Outcome out = eval(sb.get(), "return 6*7");
  ASSERT_FALSE(out.error) << describe(out.error);
  EXPECT_EQ(out.result.str(), "42");
}

TEST(LuaGuest, StatePersistsBetweenCallsWithoutARestore) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  Outcome set = eval(sb.get(), "counter = (counter or 0) + 1; string.rep = nil");
  ASSERT_FALSE(set.error) << describe(set.error);
  Outcome again = eval(sb.get(), "counter = counter + 1; return counter .. ' ' .. type(string.rep)");
  ASSERT_FALSE(again.error) << describe(again.error);
  EXPECT_EQ(again.result.str(), "2 nil");
}

TEST(LuaGuest, ARestoreUndoesScribbledGlobals) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  SnapshotPtr snap = snapshot_of(sb.get());
  Outcome scribble =
      eval(sb.get(), "x = 1; string.rep = nil; print = nil; setmetatable(_G, {__index = error})", snap.get());
  ASSERT_FALSE(scribble.error) << describe(scribble.error);
  Outcome check = eval(sb.get(),
                       "return tostring(rawget(_G, 'x')) .. ' ' .. type(string.rep) .. ' ' .. "
                       "type(print) .. ' ' .. tostring(getmetatable(_G)) .. ' ' .. string.rep('ab', 2)");
  ASSERT_FALSE(check.error) << describe(check.error);
  EXPECT_EQ(check.result.str(), "nil function function nil abab");
}

TEST(LuaGuest, SandboxesFromTheSnapshotHaveAReadyInterpreter) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  ASSERT_FALSE(eval(sb.get(), "ready = 'from the snapshot'").error);
  SnapshotPtr snap = snapshot_of(sb.get());
  hl_sandbox_t *fresh = nullptr;
  ErrorPtr err(hl_sandbox_new_from_snapshot(snap.get(), nullptr, &fresh));
  ASSERT_FALSE(err) << describe(err);
  SandboxPtr fresh_sb(fresh);
  Outcome out = eval(fresh, "return ready");
  ASSERT_FALSE(out.error) << describe(out.error);
  EXPECT_EQ(out.result.str(), "from the snapshot");
}

TEST(LuaGuest, AnInterpreterOutOfMemoryKeepsWorking) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  Outcome hog = eval(sb.get(), "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end");
  ASSERT_EQ(code_of(hog.error), HL_ERROR_GUEST_ERROR) << describe(hog.error);
  EXPECT_TRUE(
      std::string(hl_error_message(hog.error.get())).ends_with("guest function 'Eval' failed: not enough memory"))
      << hl_error_message(hog.error.get());
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_READY);
  Outcome after = eval(sb.get(), "collectgarbage() return #string.rep('x', 100000)");
  ASSERT_FALSE(after.error) << describe(after.error);
  EXPECT_EQ(after.result.str(), "100000");
}

TEST(LuaGuest, ATimedOutScriptIsGoneAfterARestore) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  SnapshotPtr snap = snapshot_of(sb.get());
  Outcome spin = eval(sb.get(), "while true do end", nullptr, kScriptTimeoutNs);
  ASSERT_EQ(code_of(spin.error), HL_ERROR_TIMEOUT) << describe(spin.error);
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_POISONED);
  ErrorPtr restored(hl_sandbox_restore(sb.get(), snap.get()));
  ASSERT_FALSE(restored) << describe(restored);
  Outcome after = eval(sb.get(), "return 'alive'");
  ASSERT_FALSE(after.error) << describe(after.error);
  EXPECT_EQ(after.result.str(), "alive");
}

TEST(LuaGuest, ResultsAndCodeKeepEmbeddedNuls) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  using namespace std::string_literals;
  Outcome out = eval(sb.get(), "return 'a\\0b' .. #'x\0y'"s);
  ASSERT_FALSE(out.error) << describe(out.error);
  EXPECT_EQ(out.result.str(), std::string("a\0b3", 4));
}

TEST(LuaGuest, BinaryChunksAreRefused) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  Outcome out = eval(sb.get(), "\x1bLua");
  ASSERT_EQ(code_of(out.error), HL_ERROR_GUEST_ERROR) << describe(out.error);
  EXPECT_NE(std::string(hl_error_message(out.error.get())).find("attempt to load a binary chunk"), std::string::npos)
      << hl_error_message(out.error.get());
}

TEST(LuaGuest, AResultLargerThanTheOutputBufferIsTooLarge) {
  std::string printed;
  SandboxPtr sb = new_lua_sandbox(&printed);
  Outcome out = eval(sb.get(), "return string.rep('x', 1 << 20)");
  EXPECT_EQ(code_of(out.error), HL_ERROR_TOO_LARGE) << describe(out.error);
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_READY);
}

}  // namespace
