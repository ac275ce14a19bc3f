// The CLI's exit statuses (docs/cli.md).
#pragma once

namespace hlcli {

constexpr int kExitSuccess = 0;
constexpr int kExitLibraryError = 1;  // hyperlight or the guest reported an error (HL_ERROR_*)
constexpr int kExitUsage = 2;         // the command line is wrong, or a file it names cannot be read
constexpr int kExitCheckFailed = 3;   // `check` found what stops sandboxes from running here

}  // namespace hlcli
