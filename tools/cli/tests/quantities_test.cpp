#include "quantities.h"

#include <gtest/gtest.h>

#include "hyperlight.h"

namespace hlcli {
namespace {

TEST(Quantities, Durations) {
  EXPECT_EQ(parse_duration_ns("0"), 0u);
  EXPECT_EQ(parse_duration_ns("500ms"), 500'000'000u);
  EXPECT_EQ(parse_duration_ns("2s"), 2'000'000'000u);
  EXPECT_EQ(parse_duration_ns("1.5s"), 1'500'000'000u);
  EXPECT_EQ(parse_duration_ns("1.5m"), 90'000'000'000u);
  EXPECT_EQ(parse_duration_ns("1h"), 3'600'000'000'000u);
  EXPECT_EQ(parse_duration_ns("250us"), 250'000u);
  EXPECT_EQ(parse_duration_ns("7ns"), 7u);
  EXPECT_EQ(parse_duration_ns("0.000000001s"), 1u);
  EXPECT_EQ(parse_duration_ns("0ms"), 0u);
  for (const char *bad : {"", "5", "ms", "-1s", "1.s", ".5s", "1.5", "1 s", "1S", "1.0000000001s", "1e3ms", "5x",
                          "1sec", "+1s", "99999999999999999999s"})
    EXPECT_FALSE(parse_duration_ns(bad)) << bad;
  EXPECT_EQ(parse_duration_ns("4611686018427387904ns"), kMaxDurationNs);
  EXPECT_FALSE(parse_duration_ns("4611686018427387905ns")) << "above 2^62 ns";
  EXPECT_FALSE(parse_duration_ns("18446744073709551615h")) << "no overflow";
}

TEST(Quantities, Sizes) {
  EXPECT_EQ(parse_size_bytes("4096"), 4096u);
  EXPECT_EQ(parse_size_bytes("512K"), 512u << 10);
  EXPECT_EQ(parse_size_bytes("64M"), 64u << 20);
  EXPECT_EQ(parse_size_bytes("64mib"), 64u << 20);
  EXPECT_EQ(parse_size_bytes("1G"), 1u << 30);
  EXPECT_EQ(parse_size_bytes("1024G"), kMaxSizeBytes);
  for (const char *bad : {"", "K", "1.5M", "-1", "1T", "1025G", "18446744073709551616", "64 M", "0x10"})
    EXPECT_FALSE(parse_size_bytes(bad)) << bad;
}

TEST(Quantities, CountsAndLevels) {
  EXPECT_EQ(parse_count("1", 10), 1u);
  EXPECT_EQ(parse_count("10", 10), 10u);
  EXPECT_FALSE(parse_count("0", 10));
  EXPECT_FALSE(parse_count("11", 10));
  EXPECT_FALSE(parse_count("-1", 10));
  EXPECT_FALSE(parse_count("1e3", 10000));
  EXPECT_EQ(parse_log_level("off"), uint32_t{HL_LOG_OFF});
  EXPECT_EQ(parse_log_level("Trace"), uint32_t{HL_LOG_TRACE});
  EXPECT_EQ(parse_log_level("WARN"), uint32_t{HL_LOG_WARN});
  EXPECT_FALSE(parse_log_level("warning"));
  EXPECT_FALSE(parse_log_level("3"));
}

}  // namespace
}  // namespace hlcli
