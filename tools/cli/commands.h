// The CLI's commands; each returns its exit status (exit_status.h) and
// throws UsageError, LibraryError or InputFileError, which main() reports.
#pragma once

#include <string>

#include "command_line.h"

namespace hlcli {

int run_command(const RunCommand &command);
int inspect_command(const InspectCommand &command);
int check_command(const CheckCommand &command);

// The --help text of the tool ("") or of one command.
const char *help_text(const std::string &topic);

}  // namespace hlcli
