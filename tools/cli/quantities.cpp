#include "quantities.h"

#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

#include "hyperlight.h"

namespace hlcli {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// All of text as a decimal number (no sign, no spaces).
std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || !is_digit(text.front())) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t leading_digits(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && is_digit(text[n])) n++;
  return n;
}

}  // namespace

std::optional<uint64_t> parse_duration_ns(std::string_view text) {
  if (text == "0") return 0;
  const size_t whole_len = leading_digits(text);
  if (whole_len == 0) return std::nullopt;
  std::optional<uint64_t> whole = parse_decimal(text.substr(0, whole_len));
  if (!whole) return std::nullopt;
  std::string_view rest = text.substr(whole_len);
  uint64_t fraction = 0, fraction_scale = 1;
  if (!rest.empty() && rest.front() == '.') {
    const size_t fraction_len = leading_digits(rest.substr(1));
    if (fraction_len == 0 || fraction_len > 9) return std::nullopt;  // nanoseconds need at most 9 digits
    fraction = *parse_decimal(rest.substr(1, fraction_len));
    for (size_t i = 0; i < fraction_len; i++) fraction_scale *= 10;
    rest = rest.substr(1 + fraction_len);
  }
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 6> kUnits{{
      {"ns", 1},
      {"us", 1'000},
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  }};
  for (const auto &[unit, ns] : kUnits) {
    if (rest != unit) continue;
    const unsigned __int128 total =
        static_cast<unsigned __int128>(*whole) * ns + static_cast<unsigned __int128>(fraction) * ns / fraction_scale;
    if (total > kMaxDurationNs) return std::nullopt;
    return static_cast<uint64_t>(total);
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_size_bytes(std::string_view text) {
  const size_t digits = leading_digits(text);
  std::optional<uint64_t> number = parse_decimal(text.substr(0, digits));
  if (!number) return std::nullopt;
  const std::string unit = lower(text.substr(digits));
  uint64_t scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  if (unit == "k" || unit == "kib") scale = uint64_t{1} << 10;
  if (unit == "m" || unit == "mib") scale = uint64_t{1} << 20;
  if (unit == "g" || unit == "gib") scale = uint64_t{1} << 30;
  if (scale == 0 || *number > kMaxSizeBytes / scale) return std::nullopt;
  return *number * scale;
}

std::optional<uint32_t> parse_count(std::string_view text, uint32_t max) {
  std::optional<uint64_t> number = parse_decimal(text);
  if (!number || *number == 0 || *number > max) return std::nullopt;
  return static_cast<uint32_t>(*number);
}

std::optional<uint32_t> parse_log_level(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, uint32_t>, 6> kLevels{{
      {"off", HL_LOG_OFF},
      {"error", HL_LOG_ERROR},
      {"warn", HL_LOG_WARN},
      {"info", HL_LOG_INFO},
      {"debug", HL_LOG_DEBUG},
      {"trace", HL_LOG_TRACE},
  }};
  const std::string name = lower(text);
  for (const auto &[level_name, level] : kLevels)
    if (name == level_name) return level;
  return std::nullopt;
}

}  // namespace hlcli
