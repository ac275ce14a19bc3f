// libFuzzer target: the input is what a hostile debugger connection sends
// to the gdb stub (src/debug: gdb_packet, gdb_command, x86_registers).
//
// 1. The input as a byte stream: PacketDecoder (with the default limit and
//    with a 64-byte one) gives the same events fed at once and fed in
//    pieces (cut where a PRNG seeded from the input says); payloads stay
//    within the limit and only packets and bad checksums carry one.
// 2. Every payload it yields, and the input itself as one payload, goes
//    through parse_command, whose command must keep its promises (memory
//    transfers within kMaxMemoryTransfer and of their stated length,
//    breakpoint types 0..4, 'p'/'P' regnos that fit); register writes go
//    through decode_registers / decode_register and must read back as
//    written; qXfer windows through xfer_reply over target.xml.
// 3. frame_packet(input) decodes, in pieces, to exactly the input (or
//    kOversize when it is over the limit).
//
// A broken property aborts, which libFuzzer reports as a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "debug/gdb_command.h"
#include "debug/gdb_packet.h"
#include "debug/x86_registers.h"

#define FUZZ_CHECK(cond)                                                                              \
  do {                                                                                                \
    if (!(cond)) {                                                                                    \
      std::fprintf(stderr, "fuzz_gdb_packet: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                                   \
    }                                                                                                 \
  } while (0)

namespace {

using hl::debug::GdbCommand;
using hl::debug::PacketDecoder;
using hl::debug::PacketEvent;
using Kind = GdbCommand::Kind;

constexpr size_t kSmallLimit = 64;

// splitmix64, seeded from the input: the same input always splits the same way.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

uint64_t hash_of(std::span<const uint8_t> bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a
  for (uint8_t byte : bytes) hash = (hash ^ byte) * 0x100000001b3ull;
  return hash;
}

std::vector<PacketEvent> decode_whole(std::span<const uint8_t> stream, size_t limit) {
  PacketDecoder decoder(limit);
  std::vector<PacketEvent> events;
  decoder.feed(stream, events);
  return events;
}

// Pieces of 0 to 16 bytes (empty feeds included), sometimes a long one.
std::vector<PacketEvent> decode_in_pieces(std::span<const uint8_t> stream, size_t limit, Random &random) {
  PacketDecoder decoder(limit);
  std::vector<PacketEvent> events;
  while (!stream.empty()) {
    const uint64_t roll = random.next();
    size_t piece = (roll & 0xff) < 8 ? static_cast<size_t>(roll >> 8) % (stream.size() + 1) : (roll >> 8) % 17;
    if (piece > stream.size()) piece = stream.size();
    decoder.feed(stream.first(piece), events);
    stream = stream.subspan(piece);
  }
  decoder.feed({}, events);
  return events;
}

bool same_events(const std::vector<PacketEvent> &a, const std::vector<PacketEvent> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].payload != b[i].payload) return false;
  }
  return true;
}

std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

void check_register_writes(const GdbCommand &command) {
  hl::debug::X86Registers registers{};
  if (command.kind == Kind::kWriteRegisters) {
    const bool accepted = hl::debug::decode_registers(command.data, registers);
    FUZZ_CHECK(accepted == (command.data.size() == hl::debug::kRegisterFileBytes));
    if (accepted) FUZZ_CHECK(hl::debug::encode_registers(registers) == hl::debug::hex_encode(command.data));
  }
  if (command.kind == Kind::kWriteRegister) {
    const size_t size = hl::debug::register_size(command.regno);
    const bool accepted = hl::debug::decode_register(registers, command.regno, command.data);
    FUZZ_CHECK(accepted == (size != 0 && command.data.size() == size));
    std::string hex;
    FUZZ_CHECK(hl::debug::encode_register(registers, command.regno, hex) == (size != 0));
    if (accepted) FUZZ_CHECK(hex == hl::debug::hex_encode(command.data));
  }
  // The same bytes as a whole register file and as every register, whatever the command.
  hl::debug::decode_registers(command.data, registers);
  for (uint32_t regno = 0; regno <= hl::debug::kRegisterCount; ++regno) {
    hl::debug::decode_register(registers, regno, command.data);
  }
}

void check_command(std::string_view payload) {
  const GdbCommand command = hl::debug::parse_command(payload);
  switch (command.kind) {
    case Kind::kReadMemory:
    case Kind::kWriteMemory:
      FUZZ_CHECK(command.length <= hl::debug::kMaxMemoryTransfer);
      FUZZ_CHECK(command.length == 0 || command.address + (command.length - 1) >= command.address);
      if (command.kind == Kind::kWriteMemory) FUZZ_CHECK(command.data.size() == command.length);
      break;
    case Kind::kInsertBreakpoint:
    case Kind::kRemoveBreakpoint: FUZZ_CHECK(command.breakpoint_type <= 4); break;
    case Kind::kXferFeatures:
    case Kind::kXferAuxv: {
      const std::string &xml = hl::debug::target_description_xml();
      const std::string reply = hl::debug::xfer_reply(xml, command.offset, command.length);
      FUZZ_CHECK(!reply.empty() && (reply[0] == 'm' || reply[0] == 'l'));
      FUZZ_CHECK(reply.size() - 1 <= command.length || command.offset >= xml.size());
      if (command.offset < xml.size()) {
        FUZZ_CHECK(xml.compare(command.offset, reply.size() - 1, reply, 1) == 0);
        FUZZ_CHECK((reply[0] == 'l') == (command.offset + (reply.size() - 1) == xml.size()));
      } else {
        FUZZ_CHECK(reply == "l");
      }
      if (command.kind == Kind::kXferAuxv) FUZZ_CHECK(command.annex.empty());
      break;
    }
    case Kind::kWriteRegisters:
    case Kind::kWriteRegister: FUZZ_CHECK(!command.data.empty()); break;
    default: break;
  }
  FUZZ_CHECK(command.data.size() <= payload.size());
  check_register_writes(command);
}

void check_stream(std::span<const uint8_t> stream, size_t limit, Random &random) {
  const auto whole = decode_whole(stream, limit);
  const auto pieces = decode_in_pieces(stream, limit, random);
  FUZZ_CHECK(same_events(whole, pieces));
  for (const auto &event : whole) {
    FUZZ_CHECK(event.payload.size() <= limit);
    if (event.kind != PacketEvent::Kind::kPacket && event.kind != PacketEvent::Kind::kBadChecksum) {
      FUZZ_CHECK(event.payload.empty());
    } else {
      check_command(event.payload);
    }
  }
}

void check_framing_round_trip(std::string_view payload, size_t limit, Random &random) {
  const std::string framed = hl::debug::frame_packet(payload);
  const auto events = decode_in_pieces(bytes_of(framed), limit, random);
  FUZZ_CHECK(events.size() == 1);
  if (payload.size() <= limit) {
    FUZZ_CHECK(events[0].kind == PacketEvent::Kind::kPacket);
    FUZZ_CHECK(events[0].payload == payload);
  } else {
    FUZZ_CHECK(events[0].kind == PacketEvent::Kind::kOversize);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  Random random{hash_of(input)};

  check_stream(input, hl::debug::kMaxPacketPayload, random);
  check_stream(input, kSmallLimit, random);
  check_command(text);
  check_framing_round_trip(text, hl::debug::kMaxPacketPayload, random);
  check_framing_round_trip(text, kSmallLimit, random);
  return 0;
}
