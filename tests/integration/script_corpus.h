// The script corpora of the script-engine guests (tests/scripts/<language>):
// each file is one Eval request, and comment lines in it say what it must
// do (tests/scripts/js/README.md). One runner for every guest: a sandbox
// with the corpus's host functions, a snapshot, and each script run with
// hl_call_and_restore_ex, so every script starts from the same engine.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace script_corpus {

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

// gtest prints a test parameter; without this it dumps the struct's bytes,
// padding included, which valgrind reports as uninitialised reads.
inline void PrintTo(const Script &script, std::ostream *out) { *out << script.name; }

// "\n", "\t" and "\\" in a directive's text.
inline std::string unescape(const std::string &text) {
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

// comment is the language's line comment with its space: "-- ", "// ".
inline Script parse_script(const std::filesystem::path &path, const std::string &comment) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  Script s{path.stem().string(), text.str(), {}, {}, {}, false};
  std::istringstream lines(s.code);
  for (std::string line; std::getline(lines, line);) {
    auto directive = [&](const char *name) -> std::optional<std::string> {
      std::string prefix = comment + name;
      if (line.rfind(prefix, 0) != 0) return std::nullopt;
      return unescape(line.substr(prefix.size()));
    };
    if (auto v = directive("expect: ")) s.result = v;
    if (auto v = directive("expect-error: ")) s.error = v;
    if (auto v = directive("expect-print: ")) s.printed = v;
    if (line == comment + "expect-timeout") s.timeout = true;
  }
  return s;
}

// Every dir/*extension script, by name.
inline std::vector<Script> corpus(const char *dir, const std::string &extension, const std::string &comment) {
  std::vector<Script> scripts;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == extension) scripts.push_back(parse_script(entry.path(), comment));
  std::sort(scripts.begin(), scripts.end(), [](const Script &a, const Script &b) { return a.name < b.name; });
  return scripts;
}

// ---- the host functions every corpus's scripts may call with host.call

inline hl_error_t *host_add(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I64;
  result->of.i64 = args[0].of.i64 + args[1].of.i64;
  return nullptr;
}
inline hl_error_t *host_concat(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  std::string joined = std::string(args[0].of.string.ptr, args[0].of.string.len) +
                       std::string(args[1].of.string.ptr, args[1].of.string.len);
  return hl_val_set_string(result, joined.data(), joined.size());
}
inline hl_error_t *host_half(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_F64;
  result->of.f64 = args[0].of.f64 / 2;
  return nullptr;
}
inline hl_error_t *host_not(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_BOOL;
  result->of.boolean = !args[0].of.boolean;
  return nullptr;
}
inline hl_error_t *host_largest(void *, const hl_val_t *, size_t, hl_val_t *result) {
  result->kind = HL_VAL_U64;
  result->of.u64 = UINT64_MAX;
  return nullptr;
}
inline hl_error_t *host_negative(void *, const hl_val_t *, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I32;
  result->of.i32 = -7;
  return nullptr;
}
inline hl_error_t *host_nothing(void *, const hl_val_t *, size_t, hl_val_t *) { return nullptr; }
inline hl_error_t *host_bytes(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  return hl_val_set_bytes(result, reinterpret_cast<const uint8_t *>(args[0].of.string.ptr), args[0].of.string.len);
}
inline hl_error_t *host_fail(void *, const hl_val_t *args, size_t, hl_val_t *) {
  return hl_error_new(std::string(args[0].of.string.ptr, args[0].of.string.len).c_str());
}

// A host function a script test registers (uniform callback, no user data).
struct HostFnSpec {
  const char *name;
  std::vector<hl_val_kind_t> params;
  hl_val_kind_t result;
  hl_host_fn_t fn;
};

inline void register_host_fns(hl_sandbox_t *sb, std::initializer_list<HostFnSpec> fns) {
  for (const HostFnSpec &f : fns) {
    ErrorPtr err(hl_register(sb, f.name, f.params.data(), f.params.size(), f.result, f.fn, nullptr, nullptr));
    ASSERT_FALSE(err) << f.name << ": " << describe(err);
  }
}

inline void register_host_functions(hl_sandbox_t *sb) {
  register_host_fns(sb, {
                            {"Add", {HL_VAL_I64, HL_VAL_I64}, HL_VAL_I64, host_add},
                            {"Concat", {HL_VAL_STRING, HL_VAL_STRING}, HL_VAL_STRING, host_concat},
                            {"Half", {HL_VAL_F64}, HL_VAL_F64, host_half},
                            {"Not", {HL_VAL_BOOL}, HL_VAL_BOOL, host_not},
                            {"Largest", {}, HL_VAL_U64, host_largest},
                            {"Negative", {}, HL_VAL_I32, host_negative},
                            {"Nothing", {}, HL_VAL_VOID, host_nothing},
                            {"Bytes", {HL_VAL_STRING}, HL_VAL_BYTES, host_bytes},
                            {"Fail", {HL_VAL_STRING}, HL_VAL_I64, host_fail},
                        });
}

inline void append_printed(void *user_data, const char *text, size_t len) {
  static_cast<std::string *>(user_data)->append(text, len);
}

// A sandbox of guest_path whose printed output lands in *printed.
inline SandboxPtr new_sandbox_printing_to(const char *guest_path, std::string *printed) {
  ConfigPtr config(hl_config_new());
  ErrorPtr set(hl_config_set_print_callback(config.get(), append_printed, printed));
  EXPECT_FALSE(set) << describe(set);
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config.get(), guest_path, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

inline SnapshotPtr snapshot_of(hl_sandbox_t *sb) {
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
inline Outcome eval(hl_sandbox_t *sb, const std::string &code, hl_snapshot_t *snap = nullptr,
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

// One sandbox (with the host functions) and its snapshot for a whole corpus.
struct CorpusSandbox {
  std::string printed;
  SandboxPtr sandbox;
  SnapshotPtr snapshot;

  explicit CorpusSandbox(const char *guest_path) {
    sandbox = new_sandbox_printing_to(guest_path, &printed);
    if (!sandbox) return;
    register_host_functions(sandbox.get());
    snapshot = snapshot_of(sandbox.get());
  }

  // Runs s on a sandbox restored to the snapshot afterwards and checks what
  // it expects.
  void run(const Script &s, const std::string &file) {
    ASSERT_EQ(int(s.result.has_value()) + int(s.error.has_value()) + int(s.timeout), 1)
        << file << " needs exactly one of 'expect:', 'expect-error:', 'expect-timeout'";
    ASSERT_TRUE(sandbox && snapshot);
    printed.clear();
    Outcome out = eval(sandbox.get(), s.code, snapshot.get(), s.timeout ? kScriptTimeoutNs : kGenerousTimeoutNs);
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
      EXPECT_EQ(printed, *s.printed);
    }
  }
};

}  // namespace script_corpus
