// gdb remote-protocol framing: PacketDecoder must give the same events for
// any split of the stream, unescape and expand run lengths, reject bad
// checksums and oversized payloads and find the next packet after them;
// frame_packet's output must decode back to its input.
#include "debug/gdb_packet.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hl::debug {
namespace {

using Kind = PacketEvent::Kind;

std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

std::vector<PacketEvent> decode(std::string_view stream, size_t max_payload = kMaxPacketPayload) {
  PacketDecoder decoder(max_payload);
  std::vector<PacketEvent> events;
  decoder.feed(bytes_of(stream), events);
  return events;
}

// A frame with the given raw body (already escaped) and its correct checksum.
std::string raw_frame(std::string_view body) {
  uint8_t sum = 0;
  for (char c : body) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  char checksum[3];
  std::snprintf(checksum, sizeof checksum, "%02x", sum);
  return "$" + std::string(body) + "#" + checksum;
}

bool same(const std::vector<PacketEvent> &a, const std::vector<PacketEvent> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].payload != b[i].payload) return false;
  }
  return true;
}

TEST(gdb_packet, FramesWithChecksum) {
  EXPECT_EQ(frame_packet(""), "$#00");
  EXPECT_EQ(frame_packet("OK"), "$OK#9a");
  EXPECT_EQ(frame_packet("g"), "$g#67");
  EXPECT_EQ(frame_packet("qSupported"), "$qSupported#37");
}

TEST(gdb_packet, FrameEscapesSpecialCharacters) {
  // '$' 0x24, '#' 0x23, '}' 0x7d, '*' 0x2a -> '}' + byte ^ 0x20.
  EXPECT_EQ(frame_packet("a$b#c}d*e"), raw_frame("a}\x04"
                                                 "b}\x03"
                                                 "c}]d}\x0a"
                                                 "e"));
}

TEST(gdb_packet, DecodesAPacket) {
  const auto events = decode("$g#67");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload, "g");
}

TEST(gdb_packet, ChecksumDigitsOfEitherCase) {
  EXPECT_EQ(decode("$OK#9A")[0].kind, Kind::kPacket);
  EXPECT_EQ(decode("$OK#9a")[0].kind, Kind::kPacket);
}

TEST(gdb_packet, RoundTripsEveryByte) {
  std::string payload;
  for (int i = 0; i < 256; ++i) payload.push_back(static_cast<char>(i));
  payload += "$$##}}**";
  const auto events = decode(frame_packet(payload));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload, payload);
}

TEST(gdb_packet, AcksNacksAndInterruptsOutsidePackets) {
  const auto events = decode(
      "+-\x03"
      "xyz\n+");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, Kind::kAck);
  EXPECT_EQ(events[1].kind, Kind::kNack);
  EXPECT_EQ(events[2].kind, Kind::kInterrupt);
  EXPECT_EQ(events[3].kind, Kind::kAck);
}

TEST(gdb_packet, ControlBytesInsideAPacketArePayload) {
  const auto events = decode(raw_frame("X0,3:+-\x03"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload, "X0,3:+-\x03");
}

TEST(gdb_packet, UnescapesPayload) {
  const auto events = decode(raw_frame("X}\x03}\x04}]}\x0a"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload, "X#$}*");
}

TEST(gdb_packet, ExpandsRunLengths) {
  // '*' c repeats the previous byte c - 29 more times: "0* " is "0000".
  auto events = decode(raw_frame("0* "));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload, "0000");
  events = decode(raw_frame("a*~b"));  // '~' = 126: 97 more
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, std::string(98, 'a') + "b");
  events = decode(raw_frame("}]*!"));  // an escaped byte repeated: "}" + 4 more
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, "}}}}}");
  events = decode(raw_frame("x* * "));  // a run of a run
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, "xxxxxxx");
}

TEST(gdb_packet, BadRunLengthsAreMalformed) {
  for (std::string body : {"* ", "a*\x1f", "a*\x7f", "a*\xff"}) {
    const auto events = decode(raw_frame(body));
    ASSERT_EQ(events.size(), 1u) << body;
    EXPECT_EQ(events[0].kind, Kind::kBadChecksum) << body;
    EXPECT_EQ(events[0].payload, "") << body;
  }
  // A '*' or '}' right before '#'.
  for (std::string stream : {"$a*#00", "$a}#00"}) {
    const auto events = decode(stream + "$g#67");
    ASSERT_EQ(events.size(), 2u) << stream;
    EXPECT_EQ(events[0].kind, Kind::kBadChecksum) << stream;
    EXPECT_EQ(events[1].kind, Kind::kPacket) << stream;
  }
}

TEST(gdb_packet, BadChecksumKeepsThePayload) {
  const auto events = decode("$g#68$g#67");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kBadChecksum);
  EXPECT_EQ(events[0].payload, "g");
  EXPECT_EQ(events[1].kind, Kind::kPacket);
}

TEST(gdb_packet, NonHexChecksumIsBad) {
  for (std::string stream : {"$g#6z", "$g#z7", "$g#\x03\x03", "$g#6$g#67"}) {
    const auto events = decode(stream);
    ASSERT_GE(events.size(), 1u) << stream;
    EXPECT_EQ(events[0].kind, Kind::kBadChecksum) << stream;
    EXPECT_EQ(events[0].payload, "") << stream;
  }
  const auto events = decode("$g#6$g#67");  // a '$' in the checksum starts the next frame
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, Kind::kPacket);
}

TEST(gdb_packet, DollarInsideAFrameRestarts) {
  const auto events = decode("$qSupp$g#67");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload, "g");
}

TEST(gdb_packet, EmptyPacket) {
  const auto events = decode("$#00");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload, "");
}

TEST(gdb_packet, PayloadOfExactlyTheLimitIsAccepted) {
  const std::string payload(kMaxPacketPayload, 'a');
  const auto events = decode(frame_packet(payload));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload.size(), kMaxPacketPayload);
}

TEST(gdb_packet, OversizeResyncsAtTheNextPacket) {
  const std::string stream = frame_packet(std::string(kMaxPacketPayload + 1, 'a')) + "+" + frame_packet("g");
  const auto events = decode(stream);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, Kind::kOversize);
  EXPECT_EQ(events[1].kind, Kind::kAck);  // after the oversized frame's checksum
  EXPECT_EQ(events[2].kind, Kind::kPacket);
  EXPECT_EQ(events[2].payload, "g");
}

TEST(gdb_packet, OversizeWithoutItsEndResyncsAtDollar) {
  const auto events = decode("$aaaaaaa\x03+$g#67", 4);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kOversize);
  EXPECT_EQ(events[1].kind, Kind::kPacket);
  EXPECT_EQ(events[1].payload, "g");
}

TEST(gdb_packet, RunLengthExpansionIsCapped) {
  // 4 + 97 bytes from 4 raw ones; the limit is 100.
  auto events = decode(raw_frame("abcd*~") + "$g#67", 100);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kOversize);
  EXPECT_EQ(events[1].kind, Kind::kPacket);
  events = decode(raw_frame("abc*~"), 100);  // exactly 100
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[0].payload.size(), 100u);
  // Many runs in a row never grow past the limit.
  std::string body = "a";
  for (int i = 0; i < 1000; ++i) body += "*~";
  events = decode(raw_frame(body));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kOversize);
}

TEST(gdb_packet, EscapedPayloadCountsDecodedBytes) {
  // 4 decoded bytes in 8 raw ones fit a limit of 4.
  const auto events = decode(frame_packet("$$$$"), 4);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
}

TEST(gdb_packet, ZeroLimitAcceptsOnlyEmptyPayloads) {
  const auto events = decode("$#00$g#67", 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kPacket);
  EXPECT_EQ(events[1].kind, Kind::kOversize);
}

// A stream with every kind of event; every way of cutting it in two or
// three pieces, and byte by byte, decodes as it does at once.
TEST(gdb_packet, EverySplitOfAStreamGivesTheSameEvents) {
  const std::string stream = "+" + frame_packet("qSupported:multiprocess+;swbreak+") + "-\x03" + "$g#68" +
                             raw_frame("0* }]x") + frame_packet(std::string(40, 'z')) + "$abc$" + "m0,4#fd" + "junk" +
                             frame_packet("X1000,4:\x03$#}");
  const size_t limit = 32;
  const auto whole = decode(stream, limit);
  ASSERT_EQ(whole.size(), 9u);
  for (size_t first = 0; first <= stream.size(); ++first) {
    for (size_t second = first; second <= stream.size(); ++second) {
      PacketDecoder decoder(limit);
      std::vector<PacketEvent> events;
      decoder.feed(bytes_of(std::string_view(stream).substr(0, first)), events);
      decoder.feed(bytes_of(std::string_view(stream).substr(first, second - first)), events);
      decoder.feed(bytes_of(std::string_view(stream).substr(second)), events);
      ASSERT_TRUE(same(events, whole)) << "split at " << first << ", " << second;
    }
  }
  PacketDecoder decoder(limit);
  std::vector<PacketEvent> events;
  for (char c : stream) decoder.feed(bytes_of(std::string_view(&c, 1)), events);
  EXPECT_TRUE(same(events, whole));
}

TEST(gdb_packet, EventsAppendToWhatIsThere) {
  PacketDecoder decoder;
  std::vector<PacketEvent> events{{Kind::kAck, {}}};
  decoder.feed(bytes_of("$g#67"), events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].payload, "g");
}

TEST(gdb_packet, HexEncode) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(hex_encode(bytes), "000fa5ff");
  EXPECT_EQ(hex_encode({}), "");
}

}  // namespace
}  // namespace hl::debug
