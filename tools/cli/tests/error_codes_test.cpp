#include "error_codes.h"

#include <gtest/gtest.h>

#include <string>

namespace hlcli {
namespace {

TEST(ErrorCodes, NamesEveryCodeByItsMacro) {
  EXPECT_EQ(error_code_name(HL_ERROR_INVALID_ARGUMENT), "HL_ERROR_INVALID_ARGUMENT");
  EXPECT_EQ(error_code_name(HL_ERROR_GUEST_FUNCTION_NOT_FOUND), "HL_ERROR_GUEST_FUNCTION_NOT_FOUND");
  EXPECT_EQ(error_code_name(HL_ERROR_TIMEOUT), "HL_ERROR_TIMEOUT");
  EXPECT_EQ(error_code_name(HL_ERROR_SNAPSHOT_VERSION), "HL_ERROR_SNAPSHOT_VERSION");
  EXPECT_EQ(error_code_name(HL_ERROR_CPU_BUDGET_EXCEEDED), "HL_ERROR_CPU_BUDGET_EXCEEDED");
  EXPECT_EQ(error_code_name(37), "HL_ERROR_CPU_BUDGET_EXCEEDED") << "the code's value is ABI";
  EXPECT_EQ(error_code_name(999), "HL_ERROR_999");
  // Every code from 1 up to the newest has a name (a new one needs adding).
  for (hl_error_code_t code = 1; code <= HL_ERROR_CPU_BUDGET_EXCEEDED; code++)
    EXPECT_NE(error_code_name(code), "HL_ERROR_" + std::to_string(code)) << code;
}

TEST(ErrorCodes, HintsPointAtOptions) {
  EXPECT_NE(std::string(error_hint(HL_ERROR_TIMEOUT)).find("--timeout"), std::string::npos);
  EXPECT_NE(std::string(error_hint(HL_ERROR_CPU_BUDGET_EXCEEDED)).find("--cpu-budget"), std::string::npos);
  EXPECT_NE(std::string(error_hint(HL_ERROR_STACK_OVERFLOW)).find("--stack-size"), std::string::npos);
  EXPECT_NE(std::string(error_hint(HL_ERROR_NO_HYPERVISOR)).find("hyperlight check"), std::string::npos);
  EXPECT_STREQ(error_hint(999), "");
}

}  // namespace
}  // namespace hlcli
