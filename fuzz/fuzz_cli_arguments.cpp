// libFuzzer target: the input is a command line of the `hyperlight` CLI,
// its words separated by NUL bytes as in argv (tools/cli).
//
// 1. parse_command_line must return a command or throw UsageError, nothing
//    else, and what it returns must keep its promises: at most 32 call
//    arguments, a function name of 1 to 255 bytes, --repeat within 1 to
//    1000000, no memory sizes or init data beside --snapshot-in, never
//    --json with --raw, never --metrics with --raw, time limits and CPU
//    budgets within the duration bound.
// 2. Every call argument is converted to each kind it could get (its own
//    prefix, else all nine) with a file reader that returns bytes or fails:
//    a value comes back of that kind, or ArgumentError; a number printed
//    the way `run` prints it reads back to the same value.
// 3. Every word goes through the output helpers: json_string() never lets
//    a control byte through, printable() never lets a terminal control
//    through, and durations and sizes stay within their bounds.
//
// A broken property aborts, which libFuzzer reports as a crash.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "call_arguments.h"
#include "command_line.h"
#include "quantities.h"
#include "text_output.h"

#define FUZZ_CHECK(cond)                                                                                 \
  do {                                                                                                   \
    if (!(cond)) {                                                                                       \
      std::fprintf(stderr, "fuzz_cli_arguments: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                                      \
    }                                                                                                    \
  } while (0)

namespace {

using namespace hlcli;

constexpr hl_val_kind_t kArgumentKinds[] = {HL_VAL_I32, HL_VAL_U32,  HL_VAL_I64,    HL_VAL_U64,  HL_VAL_F32,
                                            HL_VAL_F64, HL_VAL_BOOL, HL_VAL_STRING, HL_VAL_BYTES};

// A file reader that fails for paths starting with 'x' and returns the
// path's bytes otherwise (so a file's contents depend on the input).
std::string fake_file(const std::string &path) {
  if (!path.empty() && path[0] == 'x') throw ArgumentError("cannot read '" + path + "'");
  return path;
}

bool same_bits(const hl_val_t &a, const hl_val_t &b) {
  switch (a.kind) {
    case HL_VAL_F32: return (std::isnan(a.of.f32) && std::isnan(b.of.f32)) || a.of.f32 == b.of.f32;
    case HL_VAL_F64: return (std::isnan(a.of.f64) && std::isnan(b.of.f64)) || a.of.f64 == b.of.f64;
    case HL_VAL_I32: return a.of.i32 == b.of.i32;
    case HL_VAL_U32: return a.of.u32 == b.of.u32;
    case HL_VAL_I64: return a.of.i64 == b.of.i64;
    case HL_VAL_U64: return a.of.u64 == b.of.u64;
    case HL_VAL_BOOL: return a.of.boolean == b.of.boolean;
    default: return false;
  }
}

void check_argument(std::string_view argument) {
  const KindedText typed = split_explicit_kind(argument);
  for (hl_val_kind_t kind : kArgumentKinds) {
    if (typed.kind && *typed.kind != kind) continue;
    CallArgument value;
    try {
      value = convert_argument(kind, typed.text, fake_file);
    } catch (const ArgumentError &) {
      continue;
    }
    const hl_val_t v = value.as_val();
    FUZZ_CHECK(v.kind == kind);
    if (kind == HL_VAL_STRING || kind == HL_VAL_BYTES) {
      FUZZ_CHECK(v.of.bytes.len == value.buffer.size());
      FUZZ_CHECK(v.of.bytes.len <= typed.text.size());  // hex halves it; a fake file holds its path
      continue;
    }
    // As `run` prints it, it reads back (bools print as true/false).
    const CallArgument again = convert_argument(kind, plain_value(v), fake_file);
    FUZZ_CHECK(same_bits(v, again.as_val()));
  }
}

void check_output_helpers(std::string_view word) {
  const std::string json = json_string(word);
  FUZZ_CHECK(json.size() >= 2 && json.front() == '"' && json.back() == '"');
  for (char c : json) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  for (char c : printable(word)) {
    const unsigned char u = static_cast<unsigned char>(c);
    FUZZ_CHECK((u >= 0x20 || u == '\n' || u == '\t') && u != 0x7f);
  }
  if (std::optional<uint64_t> ns = parse_duration_ns(word)) FUZZ_CHECK(*ns <= kMaxDurationNs);
  if (std::optional<uint64_t> bytes = parse_size_bytes(word)) FUZZ_CHECK(*bytes <= kMaxSizeBytes);
  if (std::optional<uint32_t> n = parse_count(word, kMaxRepeat)) FUZZ_CHECK(*n >= 1 && *n <= kMaxRepeat);
}

void check_run(const RunCommand &run) {
  FUZZ_CHECK(run.arguments.size() <= kMaxCallArguments);
  FUZZ_CHECK(run.function || run.snapshot_out);
  if (run.function) FUZZ_CHECK(!run.function->empty() && run.function->size() <= kMaxFunctionNameBytes);
  FUZZ_CHECK(run.repeat >= 1 && run.repeat <= kMaxRepeat);
  FUZZ_CHECK(!(run.json && run.raw));
  FUZZ_CHECK(!(run.metrics && run.raw));
  if (run.sandbox.timeout_ns) FUZZ_CHECK(*run.sandbox.timeout_ns <= kMaxDurationNs);
  if (run.sandbox.cpu_budget_ns) FUZZ_CHECK(*run.sandbox.cpu_budget_ns <= kMaxDurationNs);
  FUZZ_CHECK(run.guest.has_value() != run.sandbox.snapshot_in.has_value());
  if (run.sandbox.snapshot_in) FUZZ_CHECK(!run.sandbox.heap_size && !run.sandbox.init_data);
  for (const std::string &argument : run.arguments) check_argument(argument);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  std::vector<std::string_view> words;
  for (size_t start = 0; start <= input.size();) {
    size_t end = input.find('\0', start);
    if (end == std::string_view::npos) end = input.size();
    words.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  if (size == 0) words.clear();
  for (std::string_view word : words) check_output_helpers(word);
  try {
    Command command = parse_command_line(words);
    if (const auto *run = std::get_if<RunCommand>(&command)) check_run(*run);
    if (const auto *inspect = std::get_if<InspectCommand>(&command))
      FUZZ_CHECK(inspect->guest.has_value() != inspect->sandbox.snapshot_in.has_value());
  } catch (const UsageError &) {
  }
  return 0;
}
