// Says what is wrong with a message header hl_wire_open() refused. The
// codec only answers "malformed" (it is shared with the freestanding guest
// and sits on the call path); the host explains, on the failure path only.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace hl {

// "malformed message header: <which rule it breaks>", for the header at the
// start of buffer (buffer_name says which, e.g. "output buffer").
std::string describe_malformed_header(std::span<const uint8_t> buffer, const char *buffer_name);

// For messages about the guest's output buffer: ": <what is wrong with its
// header>" when hl_wire_open() refused it (type 0), else "".
std::string output_header_fault(uint8_t type, std::span<const uint8_t> output);

}  // namespace hl
