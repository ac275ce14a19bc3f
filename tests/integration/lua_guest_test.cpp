// lua.elf (guests/lua) through the public C ABI: the script corpus of
// tests/scripts/lua (its README says how a script states what it expects),
// one sandbox restored to one snapshot for every script, and what the corpus
// cannot say: a restore undoes a script's changes, state persists between
// calls without one, limits leave a usable sandbox.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

constexpr uint64_t kScriptTimeoutNs = 200'000'000;       // for scripts that expect a timeout
constexpr uint64_t kGenerousTimeoutNs = 30'000'000'000;  // the others: only against a hang

struct SnapshotDeleter {
  void operator()(hl_snapshot_t *s) const { hl_snapshot_delete(s); }
};
using SnapshotPtr = std::unique_ptr<hl_snapshot_t, SnapshotDeleter>;

// One corpus script and what it expects.
struct Script {
  std::string name;
  std::string code;
  std::optional<std::string> result, error, printed;
  bool timeout = false;
};

// gtest names a script by its file (rather than dumping the struct's bytes).
void PrintTo(const Script &s, std::ostream *os) { *os << s.name << ".lua"; }

// "\n", "\t" and "\\" in a directive's text.
std::string unescape(const std::string &text) {
  std::string out;
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      char c = text[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += text[i];
    }
  }
  return out;
}

Script parse_script(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  Script s{path.stem().string(), text.str(), {}, {}, {}, false};
  std::istringstream lines(s.code);
  for (std::string line; std::getline(lines, line);) {
    auto directive = [&](const char *prefix) -> std::optional<std::string> {
      if (line.rfind(prefix, 0) != 0) return std::nullopt;
      return unescape(line.substr(std::strlen(prefix)));
    };
    if (auto v = directive("-- expect: ")) s.result = v;
    if (auto v = directive("-- expect-error: ")) s.error = v;
    if (auto v = directive("-- expect-print: ")) s.printed = v;
    if (line == "-- expect-timeout") s.timeout = true;
  }
  return s;
}

std::vector<Script> corpus() {
  std::vector<Script> scripts;
  for (const auto &entry : std::filesystem::directory_iterator(HL_LUA_SCRIPTS_DIR))
    if (entry.path().extension() == ".lua") scripts.push_back(parse_script(entry.path()));
  std::sort(scripts.begin(), scripts.end(), [](const Script &a, const Script &b) { return a.name < b.name; });
  return scripts;
}

// ---- host functions the scripts call with host.call (tests/scripts/lua/README.md)

hl_error_t *host_add(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I64;
  result->of.i64 = args[0].of.i64 + args[1].of.i64;
  return nullptr;
}
hl_error_t *host_concat(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  std::string joined = std::string(args[0].of.string.ptr, args[0].of.string.len) +
                       std::string(args[1].of.string.ptr, args[1].of.string.len);
  return hl_val_set_string(result, joined.data(), joined.size());
}
hl_error_t *host_half(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_F64;
  result->of.f64 = args[0].of.f64 / 2;
  return nullptr;
}
hl_error_t *host_not(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_BOOL;
  result->of.boolean = !args[0].of.boolean;
  return nullptr;
}
hl_error_t *host_largest(void *, const hl_val_t *, size_t, hl_val_t *result) {
  result->kind = HL_VAL_U64;
  result->of.u64 = UINT64_MAX;
  return nullptr;
}
hl_error_t *host_negative(void *, const hl_val_t *, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I32;
  result->of.i32 = -7;
  return nullptr;
}
hl_error_t *host_nothing(void *, const hl_val_t *, size_t, hl_val_t *) { return nullptr; }
hl_error_t *host_bytes(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  return hl_val_set_bytes(result, reinterpret_cast<const uint8_t *>(args[0].of.string.ptr), args[0].of.string.len);
}
hl_error_t *host_fail(void *, const hl_val_t *args, size_t, hl_val_t *) {
  return hl_error_new(std::string(args[0].of.string.ptr, args[0].of.string.len).c_str());
}

void register_host_functions(hl_sandbox_t *sb) {
  struct Fn {
    const char *name;
    std::vector<hl_val_kind_t> params;
    hl_val_kind_t result;
    hl_host_fn_t fn;
  };
  const Fn fns[] = {
      {"Add", {HL_VAL_I64, HL_VAL_I64}, HL_VAL_I64, host_add},
      {"Concat", {HL_VAL_STRING, HL_VAL_STRING}, HL_VAL_STRING, host_concat},
      {"Half", {HL_VAL_F64}, HL_VAL_F64, host_half},
      {"Not", {HL_VAL_BOOL}, HL_VAL_BOOL, host_not},
      {"Largest", {}, HL_VAL_U64, host_largest},
      {"Negative", {}, HL_VAL_I32, host_negative},
      {"Nothing", {}, HL_VAL_VOID, host_nothing},
      {"Bytes", {HL_VAL_STRING}, HL_VAL_BYTES, host_bytes},
      {"Fail", {HL_VAL_STRING}, HL_VAL_I64, host_fail},
  };
  for (const Fn &f : fns) {
    ErrorPtr err(hl_register(sb, f.name, f.params.data(), f.params.size(), f.result, f.fn, nullptr, nullptr));
    ASSERT_FALSE(err) << f.name << ": " << describe(err);
  }
}

void append_printed(void *user_data, const char *text, size_t len) {
  static_cast<std::string *>(user_data)->append(text, len);
}

// A lua.elf sandbox whose printed output lands in *printed.
SandboxPtr new_lua_sandbox(std::string *printed) {
  ConfigPtr config(hl_config_new());
  ErrorPtr set(hl_config_set_print_callback(config.get(), append_printed, printed));
  EXPECT_FALSE(set) << describe(set);
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config.get(), HL_LUA_GUEST_PATH, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

SnapshotPtr snapshot_of(hl_sandbox_t *sb) {
  hl_snapshot_t *snap = nullptr;
  ErrorPtr err(hl_sandbox_snapshot(sb, &snap));
  EXPECT_FALSE(err) << describe(err);
  return SnapshotPtr(snap);
}

struct Outcome {
  ErrorPtr error;
  Result result;
};

// Eval(code), then a restore to snap (when given), with a time limit.
Outcome eval(hl_sandbox_t *sb, const std::string &code, hl_snapshot_t *snap = nullptr,
             uint64_t timeout_ns = kGenerousTimeoutNs) {
  hl_val_t arg = str(code);
  hl_call_options_t options{};
  options.flags = HL_CALL_OPTION_TIMEOUT;
  options.timeout_ns = timeout_ns;
  Outcome out;
  out.error.reset(snap ? hl_call_and_restore_ex(sb, snap, "Eval", &arg, 1, &out.result.val, &options, nullptr)
                       : hl_call_ex(sb, "Eval", &arg, 1, &out.result.val, &options, nullptr));
  return out;
}

class LuaCorpus : public testing::TestWithParam<Script> {
 protected:
  static void SetUpTestSuite() {
    printed_ = new std::string;
    sandbox_ = new_lua_sandbox(printed_).release();
    ASSERT_NE(sandbox_, nullptr);
    register_host_functions(sandbox_);
    snapshot_ = snapshot_of(sandbox_).release();
  }
  static void TearDownTestSuite() {
    hl_snapshot_delete(snapshot_);
    hl_sandbox_delete(sandbox_);
    delete printed_;
  }
  static hl_sandbox_t *sandbox_;
  static hl_snapshot_t *snapshot_;
  static std::string *printed_;
};
hl_sandbox_t *LuaCorpus::sandbox_;
hl_snapshot_t *LuaCorpus::snapshot_;
std::string *LuaCorpus::printed_;

TEST_P(LuaCorpus, Runs) {
  const Script &s = GetParam();
  ASSERT_EQ(int(s.result.has_value()) + int(s.error.has_value()) + int(s.timeout), 1)
      << s.name << ".lua needs exactly one of '-- expect:', '-- expect-error:', '-- expect-timeout'";
  ASSERT_NE(sandbox_, nullptr);
  printed_->clear();
  Outcome out = eval(sandbox_, s.code, snapshot_, s.timeout ? kScriptTimeoutNs : kGenerousTimeoutNs);
  if (s.result) {
    ASSERT_FALSE(out.error) << describe(out.error);
    EXPECT_EQ(out.result.str(), *s.result);
  } else if (s.error) {
    ASSERT_EQ(code_of(out.error), HL_ERROR_GUEST_ERROR) << describe(out.error);
    EXPECT_NE(std::string(hl_error_message(out.error.get())).find(*s.error), std::string::npos)
        << hl_error_message(out.error.get());
  } else {
    EXPECT_EQ(code_of(out.error), HL_ERROR_TIMEOUT) << describe(out.error);
  }
  if (s.printed) {
    EXPECT_EQ(*printed_, *s.printed);
  }
}

INSTANTIATE_TEST_SUITE_P(Scripts, LuaCorpus, testing::ValuesIn(corpus()),
                         [](const testing::TestParamInfo<Script> &script) { return script.param.name; });

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
