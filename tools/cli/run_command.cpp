// hyperlight run: make a sandbox, call one guest function (--repeat times),
// print its result.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bounded_file.h"
#include "call_arguments.h"
#include "commands.h"
#include "exit_status.h"
#include "guest_table.h"
#include "library.h"
#include "sandbox_setup.h"
#include "stdout_to_stderr.h"
#include "text_output.h"
#include "timing.h"

namespace hlcli {
namespace {

// What the @FILE arguments of one call may hold together: as much as the
// largest input buffer hyperlight has.
constexpr size_t kMaxArgumentFileBytes = size_t{256} << 20;

std::string count_of(size_t n, const char *noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

std::string describe(const GuestFunctionInfo &fn) { return signature_text(fn.name, fn.params, fn.result); }

// Reads the @FILE arguments of one call within one budget; stdin once,
// counting --init-data - (read before the arguments).
class ArgumentFiles {
 public:
  explicit ArgumentFiles(bool init_data_read_stdin) : stdin_read_(init_data_read_stdin) {}

  std::string read(const std::string &path) {
    if (path == "-") {
      if (stdin_read_) throw ArgumentError("stdin can be read once: by one @- argument or by --init-data -");
      stdin_read_ = true;
    }
    try {
      std::string data = read_bounded_file(path, budget_);
      budget_ -= data.size();
      return data;
    } catch (const InputFileError &e) {
      throw ArgumentError(e.what());
    }
  }

 private:
  size_t budget_ = kMaxArgumentFileBytes;
  bool stdin_read_;
};

// Each argument's kind: its own prefix ("i64:5"), else its parameter's in
// the guest's table. What cannot be given a kind, or does not parse as
// one, is a usage error naming the argument and what it should be.
std::vector<CallArgument> call_arguments(const RunCommand &run, const GuestTable &table) {
  const std::string &function = *run.function;
  const GuestFunctionInfo *fn = table.find(function);
  bool any_kind_given = false;
  for (const std::string &a : run.arguments) any_kind_given |= split_explicit_kind(a).kind.has_value();
  // With kinds given the user may mean to pass another signature: the library judges.
  if (fn != nullptr && !any_kind_given && run.arguments.size() != fn->params.size())
    throw UsageError("run", describe(*fn) + " takes " + count_of(fn->params.size(), "argument") + ", got " +
                                std::to_string(run.arguments.size()));
  ArgumentFiles files(run.sandbox.init_data == std::string("-"));
  const FileReader read_file = [&files](const std::string &path) { return files.read(path); };
  std::vector<CallArgument> args;
  for (size_t i = 0; i < run.arguments.size(); i++) {
    const KindedText typed = split_explicit_kind(run.arguments[i]);
    const bool has_parameter = fn != nullptr && i < fn->params.size();
    std::optional<hl_val_kind_t> kind = typed.kind;
    if (!kind && has_parameter) kind = fn->params[i];
    std::string which = "argument " + std::to_string(i + 1);
    if (!kind) {
      if (!table.declared())
        throw UsageError("run", which +
                                    " has no kind, and the guest declared no function table to take it from: "
                                    "write the kind in front (i32:40, string:text; 'hyperlight run --help')");
      if (fn == nullptr)
        throw UsageError("run", which + " has no kind: '" + printable(function) +
                                    "' is not in the guest's function table (its fallback takes the call), so "
                                    "write the kind in front (i32:40, string:text)");
      throw UsageError("run", which + " has no parameter: " + describe(*fn) + " takes " +
                                  count_of(fn->params.size(), "argument") +
                                  "; write a kind in front (i32:5) to pass it anyway");
    }
    if (has_parameter) which += " of " + describe(*fn);
    try {
      args.push_back(convert_argument(*kind, typed.text, read_file));
    } catch (const ArgumentError &e) {
      throw UsageError("run", which + ": " + e.what());
    }
  }
  return args;
}

SnapshotPtr take_snapshot(hl_sandbox_t *sandbox) {
  hl_snapshot_t *raw = nullptr;
  check(hl_sandbox_snapshot(sandbox, &raw));
  return SnapshotPtr(raw);
}

std::string timing_json(const TimingSummary &t) {
  return "{\"calls\": " + std::to_string(t.calls) + ", \"min_ns\": " + std::to_string(t.min_ns) +
         ", \"median_ns\": " + std::to_string(t.median_ns) + ", \"p99_ns\": " + std::to_string(t.p99_ns) +
         ", \"max_ns\": " + std::to_string(t.max_ns) + ", \"mean_ns\": " + std::to_string(t.mean_ns) + "}";
}

std::string timing_text(const TimingSummary &t) {
  return std::to_string(t.calls) + " calls: min " + human_duration(t.min_ns) + ", median " +
         human_duration(t.median_ns) + ", p99 " + human_duration(t.p99_ns) + " (mean " + human_duration(t.mean_ns) +
         ", max " + human_duration(t.max_ns) + ")";
}

void print_plain(const RunCommand &run, const hl_val_t &result) {
  const bool buffer = result.kind == HL_VAL_STRING || result.kind == HL_VAL_BYTES;
  if (run.raw && buffer) {
    if (result.kind == HL_VAL_STRING && result.of.string.len > 0)
      std::fwrite(result.of.string.ptr, 1, result.of.string.len, stdout);
    if (result.kind == HL_VAL_BYTES && result.of.bytes.len > 0)
      std::fwrite(result.of.bytes.ptr, 1, result.of.bytes.len, stdout);
    return;
  }
  if (result.kind == HL_VAL_VOID) return;
  std::string text = plain_value(result);
  // What a guest returns must not drive the terminal; pipes and files get it exactly.
  if (result.kind == HL_VAL_STRING && ::isatty(STDOUT_FILENO)) text = printable(text);
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);  // a string may hold NULs
}

}  // namespace

int run_command(const RunCommand &run) {
  Session session = open_session(run.sandbox, run.guest);
  hl_sandbox_t *sandbox = session.sandbox.get();
  // The state every call starts from: saved for --snapshot-out, restored
  // between repeated calls.
  SnapshotPtr start;
  if (run.snapshot_out || run.repeat > 1) start = take_snapshot(sandbox);
  if (run.snapshot_out) check(hl_snapshot_save(start.get(), run.snapshot_out->c_str()));
  if (!run.function) {
    if (run.json) std::printf("{\"snapshot_out\": %s}\n", json_string(*run.snapshot_out).c_str());
    return kExitSuccess;
  }
  const char *function = run.function->c_str();

  GuestTable table = read_guest_table(sandbox);
  // A name the table lacks (and no fallback takes): the library says so.
  if (table.declared() && !table.has_fallback() && table.find(*run.function) == nullptr) {
    const std::string &name = *run.function;
    if (run.sandbox.snapshot_in && name.size() > 4 && name.compare(name.size() - 4, 4, ".elf") == 0)
      throw UsageError("run", "'" + printable(name) +
                                  "' was taken for FUNCTION: with --snapshot-in, leave out GUEST.elf (the snapshot "
                                  "holds the guest)");
    check(hl_call(sandbox, function, nullptr, 0, nullptr));
  }
  const std::vector<CallArgument> args = call_arguments(run, table);
  std::vector<hl_val_t> vals;
  for (const CallArgument &a : args) vals.push_back(a.as_val());

  CallResult result, later_result;
  std::vector<uint64_t> durations;
  {
    std::optional<StdoutToStderr> guest_output_aside;
    if (run.json) guest_output_aside.emplace();
    for (uint32_t i = 0; i < run.repeat; i++) {
      const auto started = std::chrono::steady_clock::now();
      hl_error_t *error =
          hl_call(sandbox, function, vals.data(), vals.size(), i == 0 ? result.out() : later_result.out());
      const auto elapsed = std::chrono::steady_clock::now() - started;
      try {
        check(error);
      } catch (const LibraryError &e) {
        if (run.repeat == 1) throw;
        throw LibraryError(e.code(),
                           "call " + std::to_string(i + 1) + " of " + std::to_string(run.repeat) + ": " + e.what());
      }
      durations.push_back(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
      if (run.repeat > 1) check(hl_sandbox_restore(sandbox, start.get()));
    }
  }

  if (run.json) {
    std::string out = "{\"function\": " + json_string(*run.function) + ", \"result\": " + json_value(result.value());
    if (run.repeat > 1) out += ", \"timing\": " + timing_json(summarize(durations));
    std::fputs((out + "}\n").c_str(), stdout);
  } else {
    print_plain(run, result.value());
    if (run.repeat > 1) std::fprintf(stderr, "%s\n", timing_text(summarize(durations)).c_str());
  }
  return kExitSuccess;
}

}  // namespace hlcli
