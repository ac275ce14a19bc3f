// RAII helpers so integration tests (which use only the public C ABI)
// cannot leak sandboxes or errors when an assertion fails.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "hyperlight.h"

struct ErrorDeleter {
  void operator()(hl_error_t *e) const { hl_error_delete(e); }
};
struct SandboxDeleter {
  void operator()(hl_sandbox_t *s) const { hl_sandbox_delete(s); }
};
struct HandleDeleter {
  void operator()(hl_interrupt_handle_t *h) const { hl_interrupt_handle_delete(h); }
};
struct ConfigDeleter {
  void operator()(hl_config_t *c) const { hl_config_delete(c); }
};
using ErrorPtr = std::unique_ptr<hl_error_t, ErrorDeleter>;
using SandboxPtr = std::unique_ptr<hl_sandbox_t, SandboxDeleter>;
using HandlePtr = std::unique_ptr<hl_interrupt_handle_t, HandleDeleter>;
using ConfigPtr = std::unique_ptr<hl_config_t, ConfigDeleter>;
struct EngineDeleter {
  void operator()(hl_engine_t *e) const { hl_engine_delete(e); }
};
struct EngineConfigDeleter {
  void operator()(hl_engine_config_t *c) const { hl_engine_config_delete(c); }
};
using EnginePtr = std::unique_ptr<hl_engine_t, EngineDeleter>;
using EngineConfigPtr = std::unique_ptr<hl_engine_config_t, EngineConfigDeleter>;

// A result that releases what it owns.
struct Result {
  hl_val_t val{};
  ~Result() { hl_val_release(&val); }
  std::string str() const { return std::string(val.of.string.ptr, val.of.string.len); }
};

inline hl_error_code_t code_of(const ErrorPtr &e) { return e ? hl_error_code(e.get()) : 0; }

inline std::string describe(const ErrorPtr &e) {
  return e ? std::string(hl_error_message(e.get())) + " (code " + std::to_string(hl_error_code(e.get())) + ")"
           : std::string("no error");
}

inline SandboxPtr new_sandbox(const hl_config_t *config = nullptr) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config, HL_SIMPLEGUEST_PATH, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

inline hl_val_t i32(int32_t v) {
  hl_val_t x{};
  x.kind = HL_VAL_I32;
  x.of.i32 = v;
  return x;
}
inline hl_val_t u64(uint64_t v) {
  hl_val_t x{};
  x.kind = HL_VAL_U64;
  x.of.u64 = v;
  return x;
}
inline hl_val_t i64(int64_t v) {
  hl_val_t x{};
  x.kind = HL_VAL_I64;
  x.of.i64 = v;
  return x;
}
// Borrows s: pass a literal or a string that outlives the call.
inline hl_val_t str(std::string_view s) {
  hl_val_t x{};
  x.kind = HL_VAL_STRING;
  x.of.string.ptr = s.data();
  x.of.string.len = s.size();
  return x;
}

// Calls fn and expects the error code `code`; returns the message.
inline std::string expect_call_error(hl_sandbox_t *sb, const char *fn, const hl_val_t *args, size_t n,
                                     hl_error_code_t code) {
  Result r;
  ErrorPtr err(hl_call(sb, fn, args, n, &r.val));
  EXPECT_TRUE(err) << fn << " succeeded";
  if (!err) return {};
  EXPECT_EQ(hl_error_code(err.get()), code) << hl_error_message(err.get());
  EXPECT_EQ(r.val.kind, HL_VAL_VOID);
  return hl_error_message(err.get());
}

// HostAdd(i32, i32) -> i32, registered by most tests.
inline hl_error_t *host_add(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I32;
  result->of.i32 = args[0].of.i32 + args[1].of.i32;
  return nullptr;
}

inline void register_host_add(hl_sandbox_t *sb) {
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  ErrorPtr err(hl_register(sb, "HostAdd", params, 2, HL_VAL_I32, host_add, nullptr, nullptr));
  ASSERT_FALSE(err) << describe(err);
}
