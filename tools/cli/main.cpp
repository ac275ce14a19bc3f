// hyperlight: the command-line tool (docs/cli.md). Built on the public C
// ABI only (hyperlight.h), like any program that uses the library.
#include <cstdio>
#include <new>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bounded_file.h"
#include "command_line.h"
#include "commands.h"
#include "error_codes.h"
#include "exit_status.h"
#include "library.h"
#include "text_output.h"

namespace {

using namespace hlcli;

std::string tool_name(const std::string &command) { return command.empty() ? "hyperlight" : "hyperlight " + command; }

int report_usage(const UsageError &e) {
  std::fprintf(stderr, "%s: %s\n", tool_name(e.command()).c_str(), printable(e.what()).c_str());
  std::fprintf(stderr, "Try '%s --help'.\n", tool_name(e.command()).c_str());
  return kExitUsage;
}

// metrics: the Prometheus text of `run --metrics`, or NULL; it goes where a
// successful run puts it (stdout, or the "metrics" member with --json).
int report_library_error(const std::string &command, const LibraryError &e, bool json, const std::string *metrics) {
  const std::string name = error_code_name(e.code());
  const std::string hint = error_hint(e.code());
  std::fprintf(stderr, "%s: %s: %s\n", tool_name(command).c_str(), name.c_str(), printable(e.what()).c_str());
  if (!hint.empty()) std::fprintf(stderr, "hint: %s\n", hint.c_str());
  if (json) {
    std::printf("{\"error\": {\"code\": %s, \"value\": %u, \"message\": %s, \"hint\": %s}", json_string(name).c_str(),
                e.code(), json_string(e.what()).c_str(), json_string(hint).c_str());
    if (metrics != nullptr) std::printf(", \"metrics\": %s", json_string(*metrics).c_str());
    std::printf("}\n");
  } else if (metrics != nullptr) {
    std::fputs(metrics->c_str(), stdout);
  }
  return kExitLibraryError;
}

struct Dispatch {
  int operator()(const HelpCommand &c) const {
    std::fputs(help_text(c.topic), stdout);
    return kExitSuccess;
  }
  int operator()(const VersionCommand &) const {
    std::printf("hyperlight %s\n", hl_version_string());
    return kExitSuccess;
  }
  int operator()(const RunCommand &c) const { return run_command(c); }
  int operator()(const InspectCommand &c) const { return inspect_command(c); }
  int operator()(const CheckCommand &c) const { return check_command(c); }
};

struct CommandFacts {
  std::string name;
  bool json = false;
};

CommandFacts facts_of(const Command &command) {
  if (const auto *run = std::get_if<RunCommand>(&command)) return {"run", run->json};
  if (const auto *inspect = std::get_if<InspectCommand>(&command)) return {"inspect", inspect->json};
  if (const auto *check = std::get_if<CheckCommand>(&command)) return {"check", check->json};
  return {};
}

}  // namespace

int main(int argc, char **argv) {
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; i++) args.emplace_back(argv[i]);
  CommandFacts facts;
  int status;
  try {
    Command command = parse_command_line(args);
    facts = facts_of(command);
    status = std::visit(Dispatch{}, command);
  } catch (const UsageError &e) {
    return report_usage(e);
  } catch (const InputFileError &e) {
    return report_usage(UsageError(facts.name, e.what()));
  } catch (const FailedRunMetrics &e) {
    status = report_library_error(facts.name, e, facts.json, &e.metrics());
  } catch (const LibraryError &e) {
    status = report_library_error(facts.name, e, facts.json, nullptr);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "%s: out of memory\n", tool_name(facts.name).c_str());
    return kExitLibraryError;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s\n", tool_name(facts.name).c_str(), printable(e.what()).c_str());
    return kExitLibraryError;
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "%s: could not write the output\n", tool_name(facts.name).c_str());
    return status == kExitSuccess ? kExitLibraryError : status;
  }
  return status;
}
