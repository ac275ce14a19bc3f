// The option values with units: durations (--timeout 500ms), sizes
// (--heap-size 64M), counts (--repeat 1000) and log levels (--log-level
// debug). Each returns nothing for text that is malformed or out of range;
// the caller says what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hlcli {

// A number (digits, optionally a fraction: "1.5") and a unit: ns, us, ms,
// s, m or h; "0" alone means 0. At most 2^62 ns (about 146 years), where
// hyperlight stops distinguishing limits from none.
std::optional<uint64_t> parse_duration_ns(std::string_view text);
constexpr uint64_t kMaxDurationNs = uint64_t{1} << 62;

// Bytes: digits with an optional binary unit K, M or G (also KiB, MiB, GiB;
// any case), up to 1 TiB, far beyond what any hyperlight size accepts.
std::optional<uint64_t> parse_size_bytes(std::string_view text);
constexpr uint64_t kMaxSizeBytes = uint64_t{1} << 40;

// Decimal digits, 1 to max.
std::optional<uint32_t> parse_count(std::string_view text, uint32_t max);

// off, error, warn, info, debug or trace (any case): an HL_LOG_* level.
std::optional<uint32_t> parse_log_level(std::string_view text);

}  // namespace hlcli
