// How the CLI writes values and guest-supplied text: plainly for people,
// as JSON for programs, and never raw control bytes to a terminal from
// text a guest chose (function names, error messages).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hyperlight.h"

namespace hlcli {

// A JSON string literal (quotes included). Invalid UTF-8 becomes U+FFFD, so
// the output is always valid JSON.
std::string json_string(std::string_view text);

// text with control characters (but newline and tab), DEL, C1 controls and
// bytes that are not UTF-8 shown as \xNN: safe to print on a terminal.
std::string printable(std::string_view text);

// Lower-case hex, two digits per byte.
std::string hex(std::string_view bytes);

// A result as `run` prints it: numbers in decimal (floats in the shortest
// form that reads back exactly), bools as true/false, strings as their
// text, bytes as hex, void as nothing.
std::string plain_value(const hl_val_t &value);

// {"kind": "i32", "value": 42}. Strings are JSON strings, bytes a hex
// string, void null; floats that JSON cannot hold (nan, inf) are strings.
std::string json_value(const hl_val_t &value);

// 1234567 ns -> "1.23 ms" (three significant digits, ns/us/ms/s).
std::string human_duration(uint64_t ns);

// "Add(i32, i32) -> i32"; name through printable().
std::string signature_text(std::string_view name, const std::vector<hl_val_kind_t> &params, hl_val_kind_t result);

}  // namespace hlcli
