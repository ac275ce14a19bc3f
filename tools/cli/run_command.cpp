// hyperlight run: make a sandbox, call one guest function (--repeat times),
// print its result (and with --metrics the engine's metrics).
#include <unistd.h>

#include <cstdio>
#include <memory>
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

// The engine's metrics in the Prometheus text format.
std::string prometheus_text(const hl_engine_t *engine) {
  char *text = nullptr;
  size_t length = 0;
  check(hl_engine_metrics_write_prometheus(engine, &text, &length));
  std::unique_ptr<char, void (*)(const void *)> owned(text, hl_free);
  return std::string(text, length);
}

// Makes the sandbox, calls the function and prints the result (and the
// --repeat summary) unless --json; returns the members of the --json object.
std::string run_in_sandbox(const RunCommand &run, hl_engine_t *engine) {
  SandboxPtr sandbox_owner = new_sandbox(run.sandbox, run.guest, engine);
  hl_sandbox_t *sandbox = sandbox_owner.get();
  // The state every call starts from: saved for --snapshot-out, restored
  // between repeated calls.
  SnapshotPtr start;
  if (run.snapshot_out || run.repeat > 1) start = take_snapshot(sandbox);
  if (run.snapshot_out) check(hl_snapshot_save(start.get(), run.snapshot_out->c_str()));
  if (!run.function) return "\"snapshot_out\": " + json_string(*run.snapshot_out);
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
  std::vector<CallCost> costs;
  {
    std::optional<StdoutToStderr> guest_output_aside;
    if (run.json) guest_output_aside.emplace();
    for (uint32_t i = 0; i < run.repeat; i++) {
      hl_call_stats_t stats{};
      hl_error_t *error = hl_call_ex(sandbox, function, vals.data(), vals.size(),
                                     i == 0 ? result.out() : later_result.out(), nullptr, &stats);
      try {
        check(error);
      } catch (const LibraryError &e) {
        if (run.repeat == 1) throw;
        throw LibraryError(e.code(),
                           "call " + std::to_string(i + 1) + " of " + std::to_string(run.repeat) + ": " + e.what());
      }
      costs.push_back({stats.wall_ns, stats.guest_cpu_ns, stats.vm_exits, stats.host_calls});
      if (run.repeat > 1) check(hl_sandbox_restore(sandbox, start.get()));
    }
  }

  if (run.json) {
    std::string members = "\"function\": " + json_string(*run.function) + ", \"result\": " + json_value(result.value());
    if (run.repeat > 1) members += ", \"timing\": " + repeat_summary_json(summarize_calls(costs));
    return members;
  }
  print_plain(run, result.value());
  if (run.repeat > 1) std::fputs(repeat_summary_text(summarize_calls(costs)).c_str(), stderr);
  return "";
}

}  // namespace

int run_command(const RunCommand &run) {
  // The engine outlives the sandbox, so that --metrics covers the whole run,
  // the sandbox's deletion and a failure included.
  EnginePtr engine = new_engine();
  std::string json_members;
  try {
    json_members = run_in_sandbox(run, engine.get());
  } catch (const LibraryError &e) {
    if (!run.metrics) throw;
    std::string metrics;
    try {
      metrics = prometheus_text(engine.get());
    } catch (const LibraryError &) {
      throw e;  // the run's error matters more than the metrics'
    }
    throw FailedRunMetrics(e, std::move(metrics));
  }
  std::optional<std::string> metrics;
  if (run.metrics) metrics = prometheus_text(engine.get());
  if (run.json) {
    if (metrics) json_members += ", \"metrics\": " + json_string(*metrics);
    std::fputs(("{" + json_members + "}\n").c_str(), stdout);
  } else if (metrics) {
    std::fputs(metrics->c_str(), stdout);
  }
  return kExitSuccess;
}

}  // namespace hlcli
