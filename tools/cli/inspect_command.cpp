// hyperlight inspect: the functions a guest declared, with their kinds.
#include <cstdio>
#include <optional>
#include <string>

#include "commands.h"
#include "exit_status.h"
#include "guest_table.h"
#include "sandbox_setup.h"
#include "stdout_to_stderr.h"
#include "text_output.h"
#include "value_kinds.h"

namespace hlcli {
namespace {

std::string json_kinds(const std::vector<hl_val_kind_t> &kinds) {
  std::string out = "[";
  for (size_t i = 0; i < kinds.size(); i++) out += (i ? ", " : "") + json_string(kind_name(kinds[i]));
  return out + "]";
}

std::string as_json(const std::string &source, const GuestTable &table) {
  std::string out = "{\"source\": " + json_string(source) + ", \"declared\": " + (table.declared() ? "true" : "false") +
                    ", \"fallback\": " + (table.has_fallback() ? "true" : "false") + ", \"functions\": [";
  for (size_t i = 0; i < table.functions.size(); i++) {
    const GuestFunctionInfo &f = table.functions[i];
    out += std::string(i ? ", " : "") + "{\"name\": " + json_string(f.name) + ", \"params\": " + json_kinds(f.params) +
           ", \"result\": " + json_string(kind_name(f.result)) + "}";
  }
  return out + "]}\n";
}

std::string as_text(const std::string &source, const GuestTable &table) {
  const std::string shown = printable(source);
  if (!table.declared())
    return shown +
           ": the guest declared no function table; it checks its calls itself, so give every argument of "
           "'hyperlight run' its kind (i32:40, string:text)\n";
  const size_t n = table.functions.size();
  std::string out = shown + ": " + std::to_string(n) + (n == 1 ? " function" : " functions") +
                    (table.has_fallback() ? ", and a fallback that takes calls to other names" : "") + "\n";
  for (const GuestFunctionInfo &f : table.functions) out += "  " + signature_text(f.name, f.params, f.result) + "\n";
  return out;
}

}  // namespace

int inspect_command(const InspectCommand &inspect) {
  GuestTable table;
  {
    std::optional<StdoutToStderr> guest_output_aside;  // what the guest prints while it starts
    if (inspect.json) guest_output_aside.emplace();
    Session session = open_session(inspect.sandbox, inspect.guest);
    table = read_guest_table(session.sandbox.get());
  }
  const std::string source = inspect.guest ? *inspect.guest : *inspect.sandbox.snapshot_in;
  std::fputs((inspect.json ? as_json(source, table) : as_text(source, table)).c_str(), stdout);
  return kExitSuccess;
}

}  // namespace hlcli
