// A guest on musl (tests/guests/muslguest.c, hl_add_musl_guest) through the
// public C ABI: musl's C library where it can run, the runtime's
// replacements where it cannot (stdio to the print path, files, time,
// locale, errno, exit, malloc's NULL).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace {

void record_print(void *user_data, const char *text, size_t len) {
  static_cast<std::vector<std::string> *>(user_data)->emplace_back(text, len);
}

// A muslguest sandbox whose prints land in *prints, one entry per VM exit.
SandboxPtr new_musl_sandbox(std::vector<std::string> *prints) {
  ConfigPtr config(hl_config_new());
  ErrorPtr set(hl_config_set_print_callback(config.get(), record_print, prints));
  EXPECT_FALSE(set) << describe(set);
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config.get(), HL_MUSLGUEST_PATH, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

std::string call_string(hl_sandbox_t *sb, const char *function, const hl_val_t *args, size_t nargs) {
  Result r;
  ErrorPtr err(hl_call(sb, function, args, nargs, &r.val));
  EXPECT_FALSE(err) << function << ": " << describe(err);
  return err ? "" : r.str();
}

hl_val_t f64(double v) {
  hl_val_t x{};
  x.kind = HL_VAL_F64;
  x.of.f64 = v;
  return x;
}

TEST(MuslGuest, StdoutIsLineBufferedAndFlushedBeforeTheResult) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  hl_val_t arg = str("hello");
  ErrorPtr err(hl_call(sb.get(), "PrintPieces", &arg, 1, nullptr));
  ASSERT_FALSE(err) << describe(err);
  // "[hello" and "]\n" in one line; stderr unbuffered; "tail" when the call ends.
  EXPECT_EQ(prints, (std::vector<std::string>{"[hello]\n", "err:7;", "tail"}));
}

TEST(MuslGuest, FormatsAndParsesNumbersWithMusl) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  hl_val_t pi = f64(3.14159);
  EXPECT_EQ(call_string(sb.get(), "FormatDouble", &pi, 1),
            "3.1415899999999999 3.141590e+00 0x1.921f9f01b866ep+1 0003.142    ab|42   |x");
  hl_val_t text = str("2.5e-3");
  Result r;
  ErrorPtr err(hl_call(sb.get(), "ParseDouble", &text, 1, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.f64, 0.0025);
  hl_val_t two = f64(2);
  Result m;
  ErrorPtr err2(hl_call(sb.get(), "MathMix", &two, 1, &m.val));
  ASSERT_FALSE(err2) << describe(err2);
  EXPECT_DOUBLE_EQ(m.val.of.f64, 1.0 + 2.0 + 1024.0 + 2.0);
}

TEST(MuslGuest, SortsWithQsortAndStrcoll) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  hl_val_t words = str("pear apple Fig banana");
  EXPECT_EQ(call_string(sb.get(), "SortWords", &words, 1), "Fig apple banana pear");
}

TEST(MuslGuest, LongjmpReturnsToSetjmp) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  hl_val_t v = i32(7);
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Jump", &v, 1, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 7);
}

TEST(MuslGuest, HasNoFilesNoClockAndTheCLocale) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  EXPECT_EQ(call_string(sb.get(), "Environment", nullptr, 0),
            "fopen=NULL (No such file or directory); time=0; clock=0; date=1970-01-01 00:00:00 Thu Jan; mktime=0; "
            "locale=C/NULL; getchar=-1");
}

TEST(MuslGuest, MallocReturnsNullWhenTheHeapIsExhausted) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  hl_val_t huge = u64(100'000'000);
  EXPECT_EQ(call_string(sb.get(), "Allocate", &huge, 1), "NULL ENOMEM NULL ENOMEM ok");
  hl_val_t small = u64(100);
  EXPECT_EQ(call_string(sb.get(), "Allocate", &small, 1), "ok - ok - ok");
}

TEST(MuslGuest, ExitEndsTheSandboxWithItsStatus) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  hl_val_t status = i32(3);
  ErrorPtr err(hl_call(sb.get(), "Exit", &status, 1, nullptr));
  ASSERT_EQ(code_of(err), HL_ERROR_GUEST_ABORTED) << describe(err);
  EXPECT_NE(std::string(hl_error_message(err.get())).find("code 1005: exit(3) called"), std::string::npos)
      << hl_error_message(err.get());
  EXPECT_EQ(prints, (std::vector<std::string>{"bye"}));  // exit flushes stdout first
}

TEST(MuslGuest, AFailedAssertAborts) {
  std::vector<std::string> prints;
  SandboxPtr sb = new_musl_sandbox(&prints);
  hl_val_t ok = {};
  ok.kind = HL_VAL_BOOL;
  ok.of.boolean = false;
  ErrorPtr err(hl_call(sb.get(), "Assert", &ok, 1, nullptr));
  ASSERT_EQ(code_of(err), HL_ERROR_GUEST_ABORTED) << describe(err);
  EXPECT_NE(std::string(hl_error_message(err.get())).find("code 1003: assertion failed: ok ("), std::string::npos)
      << hl_error_message(err.get());
}

}  // namespace
