#include <cctype>
#include <cstring>

#include "capi/shim.h"

namespace hl {

std::string name_entry_point(const char *entry, const std::string &message) {
  const size_t entry_len = std::strlen(entry);
  // "hl_" and a name, ended by ':' or '(': an entry point the message names.
  size_t end = 0;
  if (message.compare(0, 3, "hl_") == 0) {
    end = 3;
    while (end < message.size() && (std::islower(static_cast<unsigned char>(message[end])) ||
                                    std::isdigit(static_cast<unsigned char>(message[end])) || message[end] == '_'))
      end++;
    if (end == message.size() || (message[end] != ':' && message[end] != '(')) end = 0;
  }
  if (end != 0) {
    if (end == entry_len && message.compare(0, end, entry) == 0) return message;
    return std::string(entry) + message.substr(end);
  }
  return std::string(entry) + ": " + message;
}

}  // namespace hl
