// The CLI's commands; each returns its exit status (exit_status.h) and
// throws UsageError, LibraryError or InputFileError, which main() reports.
#pragma once

#include <string>

#include "command_line.h"
#include "library.h"

namespace hlcli {

// A library error of `run --metrics`, with the engine's metrics as they
// stood after it (Prometheus text), which main() prints with the error.
class FailedRunMetrics : public LibraryError {
 public:
  FailedRunMetrics(const LibraryError &error, std::string metrics)
      : LibraryError(error), metrics_(std::move(metrics)) {}
  const std::string &metrics() const { return metrics_; }

 private:
  std::string metrics_;
};

int run_command(const RunCommand &command);
int inspect_command(const InspectCommand &command);
int check_command(const CheckCommand &command);

// The --help text of the tool ("") or of one command.
const char *help_text(const std::string &topic);

}  // namespace hlcli
