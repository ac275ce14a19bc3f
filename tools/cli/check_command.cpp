// hyperlight check: can this machine, for this user, run sandboxes? KVM's
// own checks (kvm_probe.h), then a real sandbox when a guest is given.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "error_codes.h"
#include "exit_status.h"
#include "guest_table.h"
#include "kvm_probe.h"
#include "library.h"
#include "sandbox_setup.h"
#include "stdout_to_stderr.h"
#include "text_output.h"

namespace hlcli {
namespace {

CheckItem boot_sandbox(const std::string &guest) {
  try {
    StdoutToStderr guest_output_aside;  // what the guest prints while it starts is not the report
    const auto started = std::chrono::steady_clock::now();
    Session session = open_session(SandboxOptions{}, guest);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    GuestTable table = read_guest_table(session.sandbox.get());
    const auto ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
    return {"sandbox", CheckStatus::kOk,
            printable(guest) + " booted in " + human_duration(ns) + " (" + std::to_string(table.functions.size()) +
                " functions)",
            ""};
  } catch (const LibraryError &e) {
    return {"sandbox", CheckStatus::kFail,
            printable(guest) + " did not boot: " + error_code_name(e.code()) + ": " + printable(e.what()),
            error_hint(e.code())};
  }
}

std::string as_json(const std::vector<CheckItem> &items, bool ok) {
  std::string out = std::string("{\"ok\": ") + (ok ? "true" : "false") + ", \"checks\": [";
  for (size_t i = 0; i < items.size(); i++) {
    const CheckItem &c = items[i];
    out += std::string(i ? ", " : "") + "{\"name\": " + json_string(c.name) +
           ", \"status\": " + json_string(status_name(c.status)) + ", \"detail\": " + json_string(c.detail) +
           ", \"fix\": " + json_string(c.fix) + "}";
  }
  return out + "]}\n";
}

std::string as_text(const std::vector<CheckItem> &items, bool ok) {
  std::string out;
  for (const CheckItem &c : items) {
    char status[8];  // failures in capitals, to stand out
    std::snprintf(status, sizeof status, "%-6s", c.status == CheckStatus::kFail ? "FAIL" : status_name(c.status));
    out += std::string(status) + c.name + ": " + c.detail + "\n";
    if (!c.fix.empty()) out += "      fix: " + c.fix + "\n";
  }
  out += ok ? "hyperlight can run sandboxes here.\n" : "hyperlight cannot run sandboxes here: see FAIL above.\n";
  return out;
}

}  // namespace

int check_command(const CheckCommand &check) {
  std::vector<CheckItem> items = probe_kvm();
  bool ok = true;
  for (const CheckItem &c : items) ok &= c.status != CheckStatus::kFail;
  if (!check.guest)
    items.push_back(
        {"sandbox", CheckStatus::kSkip, "no guest given; 'hyperlight check --guest GUEST.elf' boots one", ""});
  else if (!ok)
    items.push_back({"sandbox", CheckStatus::kSkip, "not booted: KVM is unusable", ""});
  else
    items.push_back(boot_sandbox(*check.guest));
  ok &= items.back().status != CheckStatus::kFail;
  std::fputs((check.json ? as_json(items, ok) : as_text(items, ok)).c_str(), stdout);
  return ok ? kExitSuccess : kExitCheckFailed;
}

}  // namespace hlcli
