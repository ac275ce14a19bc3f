#include "call_arguments.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <type_traits>

#include "value_kinds.h"

namespace hlcli {
namespace {

// Decimal (optionally negative for signed kinds) or 0x hexadecimal.
template <typename T>
std::optional<T> parse_integer(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty() || text[0] == '+' || (base == 16 && text[0] == '-')) return std::nullopt;
  if (std::is_unsigned_v<T> && text[0] == '-') return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

template <typename T>
std::optional<T> parse_float(std::string_view text) {
  if (text.empty() || text[0] == '+') return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> parse_hex_bytes(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

// "@path" names a file; "@@text" is the text "@text".
std::optional<std::string> file_named(std::string_view text) {
  if (text.size() < 2 || text[0] != '@' || text[1] == '@') return std::nullopt;
  return std::string(text.substr(1));
}

std::string_view unescaped(std::string_view text) {
  return text.size() >= 2 && text[0] == '@' && text[1] == '@' ? text.substr(1) : text;
}

[[noreturn]] void refuse(hl_val_kind_t kind, std::string_view text) {
  constexpr size_t kShown = 40;
  std::string shown;
  for (char c : text.substr(0, kShown)) shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  throw ArgumentError("'" + shown + (text.size() > kShown ? "...'" : "'") + " is not " + kind_name(kind) + ": give " +
                      expected_text(kind));
}

}  // namespace

KindedText split_explicit_kind(std::string_view argument) {
  const size_t colon = argument.find(':');
  if (colon == std::string_view::npos) return {std::nullopt, argument};
  std::optional<hl_val_kind_t> kind = argument_kind_named(argument.substr(0, colon));
  if (!kind) return {std::nullopt, argument};
  return {kind, argument.substr(colon + 1)};
}

hl_val_t CallArgument::as_val() const {
  hl_val_t v = scalar;
  v.kind = kind;
  if (kind == HL_VAL_STRING) {
    v.of.string.ptr = buffer.data();
    v.of.string.len = buffer.size();
  } else if (kind == HL_VAL_BYTES) {
    v.of.bytes.ptr = reinterpret_cast<const uint8_t *>(buffer.data());
    v.of.bytes.len = buffer.size();
  }
  return v;
}

CallArgument convert_argument(hl_val_kind_t kind, std::string_view text, const FileReader &read_file) {
  CallArgument arg;
  std::memset(&arg.scalar, 0, sizeof arg.scalar);  // `{}` zeroes only a union's first member: no stray bytes
  arg.kind = kind;
  auto set = [&](auto parsed, auto &field) {
    if (!parsed) refuse(kind, text);
    field = *parsed;
  };
  switch (kind) {
    case HL_VAL_I32: set(parse_integer<int32_t>(text), arg.scalar.of.i32); break;
    case HL_VAL_U32: set(parse_integer<uint32_t>(text), arg.scalar.of.u32); break;
    case HL_VAL_I64: set(parse_integer<int64_t>(text), arg.scalar.of.i64); break;
    case HL_VAL_U64: set(parse_integer<uint64_t>(text), arg.scalar.of.u64); break;
    case HL_VAL_F32: set(parse_float<float>(text), arg.scalar.of.f32); break;
    case HL_VAL_F64: set(parse_float<double>(text), arg.scalar.of.f64); break;
    case HL_VAL_BOOL:
      if (text == "true" || text == "1") {
        arg.scalar.of.boolean = 1;
      } else if (text != "false" && text != "0") {
        refuse(kind, text);
      }
      break;
    case HL_VAL_STRING:
    case HL_VAL_BYTES:
      if (std::optional<std::string> path = file_named(text)) {
        arg.buffer = read_file(*path);
      } else if (kind == HL_VAL_STRING) {
        arg.buffer = std::string(unescaped(text));
      } else {
        std::optional<std::string> bytes = parse_hex_bytes(text);
        if (!bytes) refuse(kind, text);
        arg.buffer = std::move(*bytes);
      }
      break;
    default: throw ArgumentError(std::string("no argument can be of kind ") + kind_name(kind));
  }
  return arg;
}

const char *expected_text(hl_val_kind_t kind) {
  switch (kind) {
    case HL_VAL_I32: return "a whole number from -2147483648 to 2147483647 (decimal, or 0x hex)";
    case HL_VAL_U32: return "a whole number from 0 to 4294967295 (decimal, or 0x hex)";
    case HL_VAL_I64: return "a whole number from -9223372036854775808 to 9223372036854775807 (decimal, or 0x hex)";
    case HL_VAL_U64: return "a whole number from 0 to 18446744073709551615 (decimal, or 0x hex)";
    case HL_VAL_F32: return "a number that fits a 32-bit float, such as 1.5, -2e3, inf or nan";
    case HL_VAL_F64: return "a number that fits a 64-bit float, such as 1.5, -2e3, inf or nan";
    case HL_VAL_BOOL: return "true, false, 1 or 0";
    case HL_VAL_STRING: return "any text, or @FILE for a file's contents (@- for stdin, @@ for a leading @)";
    case HL_VAL_BYTES: return "hex digits, two per byte (00ff10), or @FILE for a file's contents (@- for stdin)";
    default: return "nothing: no argument has this kind";
  }
}

}  // namespace hlcli
