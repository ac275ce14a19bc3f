#include "command_line.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "quantities.h"

namespace hlcli {
namespace {

using Tokens = std::span<const std::string_view>;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "-5", "-0.5", ".5" stays a value; so do -inf and -nan (floats).
bool is_negative_number(std::string_view t) {
  if (t.size() < 2 || t[0] != '-') return false;
  if (is_digit(t[1]) || (t[1] == '.' && t.size() > 2 && is_digit(t[2]))) return true;
  std::string rest(t.substr(1));
  std::transform(rest.begin(), rest.end(), rest.begin(), [](unsigned char c) { return std::tolower(c); });
  return rest == "inf" || rest == "infinity" || rest == "nan";
}

bool is_option(std::string_view t) { return t.size() >= 2 && t[0] == '-' && !is_negative_number(t); }

// Text quoted for a message, shortened: tokens may be 128 KiB long.
std::string quoted(std::string_view t) {
  constexpr size_t kShown = 60;
  std::string out = "'";
  for (char c : t.substr(0, kShown)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out + (t.size() > kShown ? "...'" : "'");
}

struct OptionSpec {
  std::string_view name;                        // "--timeout"
  std::string_view value_name;                  // "DURATION"; empty for a flag
  std::function<void(std::string_view)> apply;  // gets the value ("" for a flag)
};

// Options may come anywhere among the positionals, as --name VALUE or
// --name=VALUE; "--" ends them.
std::vector<std::string_view> parse_options(const std::string &command, Tokens tokens,
                                            const std::vector<OptionSpec> &specs) {
  std::vector<std::string_view> positionals;
  std::set<std::string_view> seen;
  bool options_ended = false;
  for (size_t i = 0; i < tokens.size(); i++) {
    std::string_view token = tokens[i];
    if (options_ended || !is_option(token)) {
      positionals.push_back(token);
      continue;
    }
    if (token == "--") {
      options_ended = true;
      continue;
    }
    const size_t eq = token.find('=');
    std::string_view name = token.substr(0, eq);
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec &s) { return s.name == name; });
    if (spec == specs.end())
      throw UsageError(command, "unknown option " + quoted(name) + " for 'hyperlight " + command + "'");
    if (!seen.insert(spec->name).second)
      throw UsageError(command, std::string(spec->name) + " is given more than once");
    std::string_view value;
    if (spec->value_name.empty()) {
      if (eq != std::string_view::npos) throw UsageError(command, std::string(spec->name) + " takes no value");
    } else if (eq != std::string_view::npos) {
      value = token.substr(eq + 1);
    } else if (i + 1 < tokens.size()) {
      value = tokens[++i];
    } else {
      throw UsageError(command, std::string(spec->name) + " needs a value: " + std::string(spec->name) + " " +
                                    std::string(spec->value_name));
    }
    spec->apply(value);
  }
  return positionals;
}

std::string path_value(const std::string &command, std::string_view option, std::string_view value) {
  if (value.empty()) throw UsageError(command, std::string(option) + " needs a path, got an empty one");
  if (value.size() > kMaxPathBytes)
    throw UsageError(command,
                     std::string(option) + ": the path is longer than " + std::to_string(kMaxPathBytes) + " bytes");
  return std::string(value);
}

uint64_t size_value(const std::string &command, std::string_view option, std::string_view value) {
  std::optional<uint64_t> bytes = parse_size_bytes(value);
  if (!bytes)
    throw UsageError(command, std::string(option) + ": " + quoted(value) +
                                  " is not a size; give bytes with an optional unit K, M or G (64M, 512K, 1G)");
  return *bytes;
}

// A limit: 0 means none.
uint64_t duration_value(const std::string &command, std::string_view option, std::string_view value) {
  std::optional<uint64_t> ns = parse_duration_ns(value);
  if (!ns)
    throw UsageError(command, std::string(option) + ": " + quoted(value) +
                                  " is not a duration; give a number and a unit (500ms, 2s, 1.5m; units ns, us, "
                                  "ms, s, m, h), or 0 for no limit");
  return *ns;
}

// The options every command that makes a sandbox takes.
void add_sandbox_options(const std::string &command, SandboxOptions &o, std::vector<OptionSpec> &specs) {
  specs.push_back({"--snapshot-in", "FILE",
                   [&o, command](std::string_view v) { o.snapshot_in = path_value(command, "--snapshot-in", v); }});
  specs.push_back({"--heap-size", "SIZE",
                   [&o, command](std::string_view v) { o.heap_size = size_value(command, "--heap-size", v); }});
  specs.push_back({"--stack-size", "SIZE",
                   [&o, command](std::string_view v) { o.stack_size = size_value(command, "--stack-size", v); }});
  specs.push_back({"--input-buffer-size", "SIZE", [&o, command](std::string_view v) {
                     o.input_buffer_size = size_value(command, "--input-buffer-size", v);
                   }});
  specs.push_back({"--output-buffer-size", "SIZE", [&o, command](std::string_view v) {
                     o.output_buffer_size = size_value(command, "--output-buffer-size", v);
                   }});
  specs.push_back({"--init-data", "FILE",
                   [&o, command](std::string_view v) { o.init_data = path_value(command, "--init-data", v); }});
  specs.push_back({"--timeout", "DURATION",
                   [&o, command](std::string_view v) { o.timeout_ns = duration_value(command, "--timeout", v); }});
  specs.push_back({"--cpu-budget", "DURATION", [&o, command](std::string_view v) {
                     o.cpu_budget_ns = duration_value(command, "--cpu-budget", v);
                   }});
  specs.push_back({"--log-level", "LEVEL", [&o, command](std::string_view v) {
                     o.log_level = parse_log_level(v);
                     if (!o.log_level)
                       throw UsageError(command, "--log-level: " + quoted(v) +
                                                     " is not a level; off, error, warn, info, debug or trace");
                   }});
}

// A snapshot fixes the memory layout and holds the init data already.
void check_snapshot_in(const std::string &command, const SandboxOptions &o) {
  if (!o.snapshot_in) return;
  const std::pair<bool, const char *> fixed[] = {
      {o.heap_size.has_value(), "--heap-size"},
      {o.stack_size.has_value(), "--stack-size"},
      {o.input_buffer_size.has_value(), "--input-buffer-size"},
      {o.output_buffer_size.has_value(), "--output-buffer-size"},
      {o.init_data.has_value(), "--init-data"},
  };
  for (const auto &[given, name] : fixed)
    if (given)
      throw UsageError(command, std::string(name) +
                                    " cannot be used with --snapshot-in: the snapshot fixes the memory layout and "
                                    "the init data");
}

RunCommand parse_run(Tokens tokens) {
  const std::string command = "run";
  RunCommand run;
  std::vector<OptionSpec> specs;
  add_sandbox_options(command, run.sandbox, specs);
  specs.push_back({"--snapshot-out", "FILE",
                   [&](std::string_view v) { run.snapshot_out = path_value(command, "--snapshot-out", v); }});
  specs.push_back({"--repeat", "N", [&](std::string_view v) {
                     std::optional<uint32_t> n = parse_count(v, kMaxRepeat);
                     if (!n)
                       throw UsageError(command, "--repeat: " + quoted(v) + " is not a count from 1 to " +
                                                     std::to_string(kMaxRepeat));
                     run.repeat = *n;
                   }});
  specs.push_back({"--gdb-port", "PORT", [&](std::string_view v) {
                     std::optional<uint32_t> port = parse_count(v, 65535);
                     if (!port)
                       throw UsageError(command, "--gdb-port: " + quoted(v) + " is not a TCP port from 1 to 65535");
                     run.sandbox.gdb_port = static_cast<uint16_t>(*port);
                   }});
  specs.push_back({"--crashdump-dir", "DIR",
                   [&](std::string_view v) { run.sandbox.crashdump_dir = path_value(command, "--crashdump-dir", v); }});
  specs.push_back({"--json", "", [&](std::string_view) { run.json = true; }});
  specs.push_back({"--raw", "", [&](std::string_view) { run.raw = true; }});
  specs.push_back({"--metrics", "", [&](std::string_view) { run.metrics = true; }});
  std::vector<std::string_view> positionals = parse_options(command, tokens, specs);
  check_snapshot_in(command, run.sandbox);

  size_t next = 0;
  if (!run.sandbox.snapshot_in) {
    if (positionals.empty()) throw UsageError(command, "no guest given: hyperlight run GUEST.elf FUNCTION [ARGS...]");
    run.guest = path_value(command, "GUEST", positionals[next++]);
  }
  if (next < positionals.size()) {
    std::string_view function = positionals[next++];
    if (function.empty() || function.size() > kMaxFunctionNameBytes)
      throw UsageError(command, "FUNCTION must be 1 to 255 bytes long");
    run.function = std::string(function);
  } else if (!run.snapshot_out) {
    throw UsageError(command, "no function given: hyperlight run " +
                                  std::string(run.sandbox.snapshot_in ? "--snapshot-in FILE" : "GUEST.elf") +
                                  " FUNCTION [ARGS...] (hyperlight inspect lists the functions)");
  }
  if (positionals.size() - next > kMaxCallArguments)
    throw UsageError(command, std::to_string(positionals.size() - next) + " arguments; a call takes at most " +
                                  std::to_string(kMaxCallArguments));
  for (; next < positionals.size(); next++) run.arguments.emplace_back(positionals[next]);
  if (run.json && run.raw) throw UsageError(command, "--json and --raw cannot be used together");
  // The metrics follow the result on stdout, which --raw keeps for the result's bytes alone.
  if (run.metrics && run.raw)
    throw UsageError(command, "--metrics and --raw cannot be used together: --raw output is the result alone");
  if (run.repeat > 1 && !run.function) throw UsageError(command, "--repeat needs a FUNCTION to call");
  return run;
}

InspectCommand parse_inspect(Tokens tokens) {
  const std::string command = "inspect";
  InspectCommand inspect;
  std::vector<OptionSpec> specs;
  add_sandbox_options(command, inspect.sandbox, specs);
  specs.push_back({"--json", "", [&](std::string_view) { inspect.json = true; }});
  std::vector<std::string_view> positionals = parse_options(command, tokens, specs);
  check_snapshot_in(command, inspect.sandbox);
  const size_t wanted = inspect.sandbox.snapshot_in ? 0 : 1;
  if (positionals.size() < wanted) throw UsageError(command, "no guest given: hyperlight inspect GUEST.elf");
  if (positionals.size() > wanted)
    throw UsageError(command, "unexpected argument " + quoted(positionals[wanted]) +
                                  (wanted == 0 ? " (with --snapshot-in, leave out GUEST.elf)" : ""));
  if (wanted == 1) inspect.guest = path_value(command, "GUEST", positionals[0]);
  return inspect;
}

CheckCommand parse_check(Tokens tokens) {
  const std::string command = "check";
  CheckCommand check;
  std::vector<OptionSpec> specs;
  specs.push_back(
      {"--guest", "GUEST.elf", [&](std::string_view v) { check.guest = path_value(command, "--guest", v); }});
  specs.push_back({"--json", "", [&](std::string_view) { check.json = true; }});
  std::vector<std::string_view> positionals = parse_options(command, tokens, specs);
  if (!positionals.empty())
    throw UsageError(command, "unexpected argument " + quoted(positionals[0]) + " (a guest goes after --guest)");
  return check;
}

bool asks_for_help(Tokens tokens) {
  for (std::string_view t : tokens) {
    if (t == "--") return false;
    if (t == "-h" || t == "--help") return true;
  }
  return false;
}

bool is_command(std::string_view name) { return name == "run" || name == "inspect" || name == "check"; }

}  // namespace

Command parse_command_line(std::span<const std::string_view> args) {
  if (args.size() > kMaxTokens)
    throw UsageError("", "the command line has " + std::to_string(args.size()) + " words; at most " +
                             std::to_string(kMaxTokens) + " are accepted");
  for (size_t i = 0; i < args.size(); i++) {
    if (args[i].size() > kMaxTokenBytes)
      throw UsageError("", "word " + std::to_string(i + 1) + " of the command line is longer than " +
                               std::to_string(kMaxTokenBytes) + " bytes");
    if (args[i].find('\0') != std::string_view::npos)
      throw UsageError("", "word " + std::to_string(i + 1) + " of the command line contains a NUL byte");
  }
  if (args.empty()) throw UsageError("", "no command given: hyperlight run, inspect or check");
  std::string_view first = args[0];
  Tokens rest = args.subspan(1);
  if (first == "-h" || first == "--help") {
    if (!rest.empty()) throw UsageError("", "unexpected argument " + quoted(rest[0]) + " after " + quoted(first));
    return HelpCommand{};
  }
  if (first == "help") {
    if (rest.empty()) return HelpCommand{};
    if (rest.size() > 1 || !is_command(rest[0]))
      throw UsageError("", "help takes one command: hyperlight help run, inspect or check");
    return HelpCommand{std::string(rest[0])};
  }
  if (first == "--version") {
    if (!rest.empty()) throw UsageError("", "unexpected argument " + quoted(rest[0]) + " after --version");
    return VersionCommand{};
  }
  if (!is_command(first))
    throw UsageError("", (is_option(first) ? "unknown option " : "unknown command ") + quoted(first) +
                             "; the commands are run, inspect and check");
  if (asks_for_help(rest)) return HelpCommand{std::string(first)};
  if (first == "run") return parse_run(rest);
  if (first == "inspect") return parse_inspect(rest);
  return parse_check(rest);
}

}  // namespace hlcli
