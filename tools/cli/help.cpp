// The --help texts (docs/cli.md says the same at length).
#include "commands.h"

namespace hlcli {
namespace {

constexpr const char *kToolHelp = R"(hyperlight: call functions of guests running in hyperlight micro-VMs.

Usage:
  hyperlight run GUEST.elf FUNCTION [ARGS...]   call a guest function and print its result
  hyperlight inspect GUEST.elf                  list the guest's functions and their kinds
  hyperlight check [--guest GUEST.elf]          can this machine and user run sandboxes?
  hyperlight help COMMAND  (or: hyperlight COMMAND --help)
  hyperlight --version

Example:
  hyperlight run simpleguest.elf Add 40 2       prints 42

Exit status:
  0  success
  1  hyperlight or the guest reported an error; the message names its code (HL_ERROR_*)
  2  the command line is wrong, or a file it names cannot be read
  3  check found what stops sandboxes from running here (the report says how to fix it)
)";

constexpr const char *kRunHelp = R"(Usage: hyperlight run [OPTIONS] GUEST.elf FUNCTION [ARGS...]
       hyperlight run [OPTIONS] --snapshot-in FILE FUNCTION [ARGS...]
       hyperlight run [OPTIONS] GUEST.elf --snapshot-out FILE

Makes a sandbox from GUEST.elf (or from a snapshot file), calls FUNCTION
with ARGS and prints its result.

Arguments take their kinds from the guest's function table (see
'hyperlight inspect'): 'hyperlight run simpleguest.elf Add 40 2' prints 42.
A kind in front sets it; that is needed when the guest declares no table,
and overrides the table otherwise:
  i32:-5  u32:7  i64:5  u64:0xff  f32:1.5  f64:-2e3  bool:true
  string:text  string:@FILE  bytes:00ff10  bytes:@FILE
Integers are decimal or 0x hex; bytes are hex digits. @FILE reads a file
(@- reads stdin) for a string or bytes; @@ stands for a leading @.
Options may go anywhere; '--' ends them. Negative numbers need no '--'.

Output, on stdout: numbers in decimal, bool as true/false, strings as text,
bytes as hex; nothing for void. What the guest prints comes first.
  --json               one JSON object: {"function", "result": {"kind", "value"}}
                       (and "timing" with --repeat, "metrics" with --metrics);
                       the guest's output goes to stderr
  --raw                strings and bytes as they are: no hex, no newline
  --metrics            then the engine's metrics in Prometheus text format
                       (hyperlight_calls_total 1, ...), also after a failed call
                       (with --json: the text in "metrics"; not with --raw)

Sandbox:
  --heap-size SIZE           guest heap (default 4M; 64K to 1G)
  --stack-size SIZE          guest stack (default 256K; 16K to 256M)
  --input-buffer-size SIZE   room for a call's name and arguments (default 64K)
  --output-buffer-size SIZE  room for a result, print or log record (default 64K)
  --init-data FILE           bytes the guest can read from its start (up to 256M)
  --timeout DURATION         time limit of each call (default none): 500ms, 2s, 1.5m;
                             units ns, us, ms, s, m, h
  --cpu-budget DURATION      guest CPU time each call may use (default none); time
                             in host functions does not count; past it the call
                             fails with HL_ERROR_CPU_BUDGET_EXCEEDED (status 1)
  --log-level LEVEL          guest log records shown on stderr: off, error, warn,
                             info, debug, trace (default: $HYPERLIGHT_LOG, else warn)
SIZE is bytes, or with a unit: 512K, 64M, 1G.

Debugging (run; docs/debugging.md):
  --gdb-port PORT      wait for gdb on 127.0.0.1:PORT before the guest's first
                       instruction (gdb GUEST.elf -ex 'target remote :PORT');
                       default: $HYPERLIGHT_GDB_PORT, else no debugger
  --crashdump-dir DIR  a guest fault writes an ELF core file into DIR (the error
                       names it; gdb GUEST.elf CORE opens it); default:
                       $HYPERLIGHT_CRASHDUMP_DIR, else none

Snapshots and timing:
  --snapshot-in FILE   start from a snapshot file instead of an ELF (leave out
                       GUEST.elf): no guest initialisation; sizes and init data
                       come from the snapshot
  --snapshot-out FILE  save the sandbox as the call finds it (just initialised,
                       or as loaded) to FILE; FUNCTION may then be left out
  --repeat N           call N times (up to 1000000), each from the same state
                       (restored between calls); print on stderr the calls' wall
                       and guest CPU times (min, median, p99, mean, max) and
                       their VM exits and host calls per call (with --json: in
                       "timing")
)";

constexpr const char *kInspectHelp = R"(Usage: hyperlight inspect [OPTIONS] GUEST.elf
       hyperlight inspect [OPTIONS] --snapshot-in FILE

Starts the guest and lists the functions it declared, with their parameter
and result kinds, in name order: "Add(i32, i32) -> i32". A guest may also
have a fallback for other names, or declare no table at all.

Options:
  --json        {"source", "declared", "fallback", "functions": [{"name",
                "params", "result"}]}
  --snapshot-in FILE, --init-data FILE, --output-buffer-size SIZE, and the
  other sandbox options of 'hyperlight run' (a guest's table may depend on
  its init data, and must fit its output buffer).
)";

constexpr const char *kCheckHelp = R"(Usage: hyperlight check [--guest GUEST.elf] [--json]

Checks that this machine and user can run sandboxes: /dev/kvm exists and
opens read-write (if not: which group owns it and the command that fixes
it), the KVM API version and the capabilities hyperlight needs, whether
KVM is hardware (kvm_intel, kvm_amd) or PVM (kvm_pvm), and whether the
dirty ring that makes snapshot restores cheap is there.

Options:
  --guest GUEST.elf  also boot a sandbox from GUEST.elf
  --json             {"ok", "checks": [{"name", "status", "detail", "fix"}]}

Exit status 0 if sandboxes can run, 3 if not.
)";

}  // namespace

const char *help_text(const std::string &topic) {
  if (topic == "run") return kRunHelp;
  if (topic == "inspect") return kInspectHelp;
  if (topic == "check") return kCheckHelp;
  return kToolHelp;
}

}  // namespace hlcli
