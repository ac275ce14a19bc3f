#include "text_output.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "value_kinds.h"

namespace hlcli {
namespace {

// The length of the valid UTF-8 sequence at text[i], or 0 if there is none
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  size_t len;
  uint32_t cp;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; k++) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (byte(i + k) & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

std::string hex_escape(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

template <typename T>
std::string shortest(T value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

template <typename T>
std::string json_number(T value) {
  return std::isfinite(value) ? shortest(value) : json_string(shortest(value));
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      out += "\\ufffd";
      i++;
      continue;
    }
    if (len > 1) {
      out.append(text.substr(i, len));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    i += len;
  }
  return out + "\"";
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t len = utf8_sequence_length(text, i);
    // C1 controls (U+0080..U+009F, bytes c2 80..c2 9f) act like escapes on some terminals.
    const bool c1_control = len == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0;
    if (len == 0 || c1_control || (len == 1 && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f))) {
      const size_t n = len == 0 ? 1 : len;
      for (size_t k = 0; k < n; k++) out += hex_escape(static_cast<unsigned char>(text[i + k]));
      i += n;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const unsigned char c = static_cast<unsigned char>(ch);
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string plain_value(const hl_val_t &v) {
  switch (v.kind) {
    case HL_VAL_VOID: return "";
    case HL_VAL_I32: return std::to_string(v.of.i32);
    case HL_VAL_U32: return std::to_string(v.of.u32);
    case HL_VAL_I64: return std::to_string(v.of.i64);
    case HL_VAL_U64: return std::to_string(v.of.u64);
    case HL_VAL_F32: return shortest(v.of.f32);
    case HL_VAL_F64: return shortest(v.of.f64);
    case HL_VAL_BOOL: return v.of.boolean ? "true" : "false";
    case HL_VAL_STRING: return std::string(v.of.string.ptr, v.of.string.len);
    case HL_VAL_BYTES: return hex({reinterpret_cast<const char *>(v.of.bytes.ptr), v.of.bytes.len});
    default: return "?";
  }
}

std::string json_value(const hl_val_t &v) {
  std::string value;
  switch (v.kind) {
    case HL_VAL_VOID: value = "null"; break;
    case HL_VAL_F32: value = json_number(v.of.f32); break;
    case HL_VAL_F64: value = json_number(v.of.f64); break;
    case HL_VAL_STRING: value = json_string({v.of.string.ptr, v.of.string.len}); break;
    case HL_VAL_BYTES: value = json_string(plain_value(v)); break;
    default: value = plain_value(v); break;
  }
  return std::string("{\"kind\": ") + json_string(kind_name(v.kind)) + ", \"value\": " + value + "}";
}

std::string human_duration(uint64_t ns) {
  if (ns < 1000) return std::to_string(ns) + " ns";
  const char *unit = "us";
  double value = static_cast<double>(ns) / 1e3;
  if (value >= 1000) {
    unit = "ms";
    value /= 1e3;
  }
  if (value >= 1000) {
    unit = "s";
    value /= 1e3;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g %s", value, unit);
  return buf;
}

std::string signature_text(std::string_view name, const std::vector<hl_val_kind_t> &params, hl_val_kind_t result) {
  std::string out = printable(name) + "(";
  for (size_t i = 0; i < params.size(); i++) out += (i ? ", " : "") + std::string(kind_name(params[i]));
  return out + ") -> " + kind_name(result);
}

}  // namespace hlcli
