#include "protocol/message_header.h"

#include "abi/hl_wire.h"
#include "common/error.h"

namespace hl {

std::string describe_malformed_header(std::span<const uint8_t> buffer, const char *buffer_name) {
  // The rules hl_wire_open() checks: u32 total_len | u8 type | 3 zero bytes.
  const std::string prefix = "malformed message header: ";
  if (buffer.size() < HL_WIRE_HEADER_SIZE)
    return prefix +
           format("the %zu-byte %s cannot hold the %u-byte header", buffer.size(), buffer_name, HL_WIRE_HEADER_SIZE);
  const uint32_t total = static_cast<uint32_t>(buffer[0]) | static_cast<uint32_t>(buffer[1]) << 8 |
                         static_cast<uint32_t>(buffer[2]) << 16 | static_cast<uint32_t>(buffer[3]) << 24;
  if (total < HL_WIRE_HEADER_SIZE)
    return prefix + format("total length %u is less than the header's %u bytes", total, HL_WIRE_HEADER_SIZE);
  if (total > buffer.size())
    return prefix + format("total length %u is past the end of the %zu-byte %s", total, buffer.size(), buffer_name);
  for (uint32_t i = 5; i < HL_WIRE_HEADER_SIZE; i++)
    if (buffer[i] != 0) return prefix + format("padding byte %u is 0x%02x (bytes 5 to 7 must be 0)", i, buffer[i]);
  if (buffer[4] == 0) return prefix + "message type 0 is not a message";
  return prefix + "none of its rules is broken";  // the caller misread hl_wire_open()
}

std::string output_header_fault(uint8_t type, std::span<const uint8_t> output) {
  return type == 0 ? ": " + describe_malformed_header(output, "output buffer") : std::string();
}

}  // namespace hl
