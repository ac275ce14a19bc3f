#include "command_line.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "hyperlight.h"

namespace hlcli {
namespace {

Command parse(std::initializer_list<const char *> words) {
  std::vector<std::string_view> args(words.begin(), words.end());
  return parse_command_line(args);
}

RunCommand parse_run(std::initializer_list<const char *> words) { return std::get<RunCommand>(parse(words)); }

// The message of the UsageError parse throws, and the command it names.
std::pair<std::string, std::string> usage_error(std::initializer_list<const char *> words) {
  try {
    parse(words);
  } catch (const UsageError &e) {
    return {e.command(), e.what()};
  }
  ADD_FAILURE() << "no UsageError";
  return {};
}

bool refused_with(std::initializer_list<const char *> words, const std::string &text) {
  const std::string message = usage_error(words).second;
  EXPECT_NE(message.find(text), std::string::npos) << message;
  return message.find(text) != std::string::npos;
}

TEST(CommandLine, RunTakesGuestFunctionAndArguments) {
  RunCommand run = parse_run({"run", "g.elf", "Add", "40", "2"});
  EXPECT_EQ(run.guest, "g.elf");
  EXPECT_EQ(run.function, "Add");
  EXPECT_EQ(run.arguments, (std::vector<std::string>{"40", "2"}));
  EXPECT_EQ(run.repeat, 1u);
  EXPECT_FALSE(run.json);
}

TEST(CommandLine, OptionsGoAnywhereWithOrWithoutEquals) {
  RunCommand run = parse_run({"run", "--timeout", "500ms", "g.elf", "Add", "--json", "40", "--heap-size=64M", "2",
                              "--repeat", "10", "--log-level=DEBUG"});
  EXPECT_EQ(run.arguments, (std::vector<std::string>{"40", "2"}));
  EXPECT_EQ(run.sandbox.timeout_ns, 500'000'000u);
  EXPECT_EQ(run.sandbox.heap_size, 64u << 20);
  EXPECT_EQ(run.repeat, 10u);
  EXPECT_EQ(run.sandbox.log_level, uint32_t{HL_LOG_DEBUG});
  EXPECT_TRUE(run.json);
}

TEST(CommandLine, NegativeNumbersAreArgumentsAndDoubleDashEndsOptions) {
  RunCommand run = parse_run({"run", "g.elf", "Add", "-5", "-0.5", "-inf", "--", "--json", "-x"});
  EXPECT_EQ(run.arguments, (std::vector<std::string>{"-5", "-0.5", "-inf", "--json", "-x"}));
  EXPECT_FALSE(run.json);
}

TEST(CommandLine, SnapshotInReplacesTheGuest) {
  RunCommand run = parse_run({"run", "--snapshot-in", "s.snap", "Add", "1", "2"});
  EXPECT_FALSE(run.guest);
  EXPECT_EQ(run.sandbox.snapshot_in, "s.snap");
  EXPECT_EQ(run.function, "Add");
  EXPECT_EQ(run.arguments.size(), 2u);
  EXPECT_TRUE(refused_with({"run", "--snapshot-in", "s.snap", "--heap-size", "1M", "Add"},
                           "--heap-size cannot be used with --snapshot-in"));
  EXPECT_TRUE(refused_with({"run", "--snapshot-in", "s", "--init-data", "d", "Add"}, "--init-data cannot"));
  InspectCommand inspect = std::get<InspectCommand>(parse({"inspect", "--snapshot-in", "s.snap"}));
  EXPECT_FALSE(inspect.guest);
  EXPECT_TRUE(refused_with({"inspect", "--snapshot-in", "s.snap", "g.elf"}, "leave out GUEST.elf"));
}

TEST(CommandLine, SnapshotOutNeedsNoFunction) {
  RunCommand run = parse_run({"run", "g.elf", "--snapshot-out", "s.snap"});
  EXPECT_FALSE(run.function);
  EXPECT_EQ(run.snapshot_out, "s.snap");
  EXPECT_TRUE(refused_with({"run", "g.elf"}, "no function given"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "--snapshot-out", "s", "--repeat", "3"}, "--repeat needs a FUNCTION"));
}

TEST(CommandLine, DebuggingOptions) {
  RunCommand run = parse_run({"run", "--gdb-port", "1234", "--crashdump-dir=/tmp/cores", "g.elf", "Add"});
  EXPECT_EQ(run.sandbox.gdb_port, uint16_t{1234});
  EXPECT_EQ(run.sandbox.crashdump_dir, "/tmp/cores");
  RunCommand plain = parse_run({"run", "g.elf", "Add"});
  EXPECT_FALSE(plain.sandbox.gdb_port.has_value()) << "the environment decides";
  EXPECT_FALSE(plain.sandbox.crashdump_dir.has_value());
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--gdb-port", "0"}, "is not a TCP port from 1 to 65535"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--gdb-port", "65536"}, "is not a TCP port from 1 to 65535"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--gdb-port", "gdb"}, "is not a TCP port from 1 to 65535"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--crashdump-dir", ""}, "--crashdump-dir needs a path"));
  EXPECT_TRUE(refused_with({"inspect", "g.elf", "--gdb-port", "1234"}, "unknown option '--gdb-port'"));
}

TEST(CommandLine, CpuBudgetTakesADurationLikeTimeout) {
  RunCommand run = parse_run({"run", "g.elf", "Spin", "--cpu-budget", "50ms"});
  EXPECT_EQ(run.sandbox.cpu_budget_ns, 50'000'000u);
  EXPECT_FALSE(run.sandbox.timeout_ns.has_value()) << "a budget is not a wall-clock limit";
  EXPECT_EQ(parse_run({"run", "g.elf", "Spin", "--cpu-budget=1.5s"}).sandbox.cpu_budget_ns, 1'500'000'000u);
  EXPECT_EQ(parse_run({"run", "g.elf", "Spin", "--cpu-budget", "0"}).sandbox.cpu_budget_ns, 0u) << "no budget";
  EXPECT_FALSE(parse_run({"run", "g.elf", "Spin"}).sandbox.cpu_budget_ns.has_value()) << "the library's default";
  InspectCommand inspect = std::get<InspectCommand>(parse({"inspect", "g.elf", "--cpu-budget", "2s"}));
  EXPECT_EQ(inspect.sandbox.cpu_budget_ns, 2'000'000'000u) << "a sandbox option, like --timeout";
  for (const char *bad : {"50", "fast", "-1s", "1.5", "50 ms", "1e3ms", "99999999999999999999s"})
    EXPECT_TRUE(refused_with({"run", "g.elf", "Spin", "--cpu-budget", bad},
                             "--cpu-budget: '" + std::string(bad) + "' is not a duration; give a number and a unit"))
        << bad;
  EXPECT_TRUE(
      refused_with({"run", "g.elf", "Spin", "--cpu-budget"}, "--cpu-budget needs a value: --cpu-budget DURATION"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Spin", "--cpu-budget", "1s", "--cpu-budget", "2s"},
                           "--cpu-budget is given more than once"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Spin", "--cpu-budget", ""}, "'' is not a duration"));
}

TEST(CommandLine, MetricsIsARunFlag) {
  EXPECT_FALSE(parse_run({"run", "g.elf", "Add"}).metrics);
  RunCommand run = parse_run({"run", "--metrics", "g.elf", "Add", "1", "2"});
  EXPECT_TRUE(run.metrics);
  EXPECT_EQ(run.arguments, (std::vector<std::string>{"1", "2"})) << "a flag: takes no value";
  EXPECT_TRUE(parse_run({"run", "g.elf", "Add", "--metrics", "--json", "--repeat", "5"}).metrics);
  EXPECT_TRUE(parse_run({"run", "g.elf", "--snapshot-out", "s", "--metrics"}).metrics) << "no call: still an engine";
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--metrics=yes"}, "--metrics takes no value"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--metrics", "--metrics"}, "--metrics is given more than once"));
  EXPECT_TRUE(
      refused_with({"run", "g.elf", "Add", "--metrics", "--raw"}, "--metrics and --raw cannot be used together"));
  EXPECT_TRUE(refused_with({"inspect", "g.elf", "--metrics"}, "unknown option '--metrics'"));
  EXPECT_TRUE(refused_with({"check", "--metrics"}, "unknown option '--metrics'"));
  EXPECT_EQ(parse_run({"run", "g.elf", "Echo", "--", "--metrics"}).arguments[0], "--metrics");
}

TEST(CommandLine, RefusesWhatItCannotUse) {
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--bogus"}, "unknown option '--bogus'"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--timeout"}, "--timeout needs a value: --timeout DURATION"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--json=1"}, "--json takes no value"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--json", "--json"}, "--json is given more than once"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--timeout", "5"}, "'5' is not a duration"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--heap-size", "lots"}, "'lots' is not a size"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--repeat", "0"}, "from 1 to 1000000"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--repeat", "1000001"}, "from 1 to 1000000"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--log-level", "loud"}, "'loud' is not a level"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--json", "--raw"}, "cannot be used together"));
  EXPECT_TRUE(refused_with({"run", "g.elf", "Add", "--init-data", ""}, "--init-data needs a path"));
  EXPECT_TRUE(refused_with({"run", "g.elf", ""}, "FUNCTION must be 1 to 255 bytes"));
  EXPECT_TRUE(refused_with({"run"}, "no guest given"));
  EXPECT_TRUE(refused_with({"inspect"}, "no guest given"));
  EXPECT_TRUE(refused_with({"inspect", "a.elf", "b.elf"}, "unexpected argument 'b.elf'"));
  EXPECT_TRUE(refused_with({"check", "a.elf"}, "a guest goes after --guest"));
  EXPECT_TRUE(refused_with({"frobnicate"}, "unknown command 'frobnicate'"));
  EXPECT_TRUE(refused_with({"--frobnicate"}, "unknown option '--frobnicate'"));
  EXPECT_TRUE(refused_with({}, "no command given"));
  EXPECT_EQ(usage_error({"run", "--bogus"}).first, "run") << "names the command whose --help helps";
  EXPECT_EQ(usage_error({"bogus"}).first, "");
}

TEST(CommandLine, IsBounded) {
  std::vector<std::string> words = {"run", "g.elf", "F"};
  for (int i = 0; i < 33; i++) words.push_back("1");
  std::vector<std::string_view> args(words.begin(), words.end());
  EXPECT_THROW(parse_command_line(args), UsageError) << "33 call arguments";
  args.pop_back();
  EXPECT_EQ(std::get<RunCommand>(parse_command_line(args)).arguments.size(), 32u);

  std::vector<std::string_view> many(kMaxTokens + 1, "x");
  EXPECT_THROW(parse_command_line(many), UsageError);
  std::string huge(kMaxTokenBytes + 1, 'a');
  std::vector<std::string_view> long_word = {"run", "g.elf", "Echo", huge};
  EXPECT_THROW(parse_command_line(long_word), UsageError);
  std::string nul("a\0b", 3);
  std::vector<std::string_view> with_nul = {"run", nul, "F"};
  EXPECT_THROW(parse_command_line(with_nul), UsageError);
  std::string long_path(kMaxPathBytes + 1, 'p');
  std::vector<std::string_view> path = {"run", "--init-data", long_path, "g.elf", "F"};
  EXPECT_THROW(parse_command_line(path), UsageError);
  std::string long_name(kMaxFunctionNameBytes + 1, 'f');
  std::vector<std::string_view> name = {"run", "g.elf", long_name};
  EXPECT_THROW(parse_command_line(name), UsageError);
}

TEST(CommandLine, HelpAndVersion) {
  EXPECT_EQ(std::get<HelpCommand>(parse({"--help"})).topic, "");
  EXPECT_EQ(std::get<HelpCommand>(parse({"-h"})).topic, "");
  EXPECT_EQ(std::get<HelpCommand>(parse({"help"})).topic, "");
  EXPECT_EQ(std::get<HelpCommand>(parse({"help", "check"})).topic, "check");
  EXPECT_EQ(std::get<HelpCommand>(parse({"run", "g.elf", "--help"})).topic, "run");
  EXPECT_EQ(std::get<HelpCommand>(parse({"inspect", "-h", "--bogus"})).topic, "inspect") << "help wins";
  EXPECT_EQ(std::get<RunCommand>(parse({"run", "g.elf", "Echo", "--", "--help"})).arguments[0], "--help");
  EXPECT_TRUE(std::holds_alternative<VersionCommand>(parse({"--version"})));
  EXPECT_TRUE(refused_with({"help", "frob"}, "help takes one command"));
  EXPECT_TRUE(refused_with({"--version", "x"}, "unexpected argument 'x'"));
}

TEST(CommandLine, CheckTakesAGuest) {
  CheckCommand check = std::get<CheckCommand>(parse({"check", "--json", "--guest", "g.elf"}));
  EXPECT_EQ(check.guest, "g.elf");
  EXPECT_TRUE(check.json);
}

}  // namespace
}  // namespace hlcli
