// Log-level selection: explicit config, else HYPERLIGHT_LOG, else WARN.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/error.h"
#include "sandbox/config.h"

namespace {

class ScopedEnv {
 public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = getenv(name)) old_ = old, had_ = true;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char *name_;
  std::string old_;
  bool had_ = false;
};

TEST(LogLevel, ParsesNamesAndDigits) {
  auto level = static_cast<hl::LogLevel>(99);
  EXPECT_TRUE(hl::parse_log_level("off", &level));
  EXPECT_EQ(level, hl::LogLevel::kOff);
  EXPECT_TRUE(hl::parse_log_level("DeBuG", &level));
  EXPECT_EQ(level, hl::LogLevel::kDebug);
  EXPECT_TRUE(hl::parse_log_level("5", &level));
  EXPECT_EQ(level, hl::LogLevel::kTrace);
  EXPECT_FALSE(hl::parse_log_level("verbose", &level));
  EXPECT_FALSE(hl::parse_log_level("6", &level));
  EXPECT_FALSE(hl::parse_log_level("", &level));
}

TEST(LogLevel, EnvironmentIsTheDefaultAndConfigWins) {
  hl::SandboxConfig config;
  {
    ScopedEnv env("HYPERLIGHT_LOG", nullptr);
    EXPECT_EQ(config.effective_max_log_level(), hl::LogLevel::kWarn);
  }
  {
    ScopedEnv env("HYPERLIGHT_LOG", "trace");
    EXPECT_EQ(config.effective_max_log_level(), hl::LogLevel::kTrace);
    config.set_max_log_level(hl::LogLevel::kError);
    EXPECT_EQ(config.effective_max_log_level(), hl::LogLevel::kError);
  }
  {
    ScopedEnv env("HYPERLIGHT_LOG", "nonsense");
    hl::SandboxConfig fresh;
    EXPECT_EQ(fresh.effective_max_log_level(), hl::LogLevel::kWarn);
  }
  EXPECT_THROW(config.set_max_log_level(static_cast<hl::LogLevel>(6)), hl::Error);
}

}  // namespace
