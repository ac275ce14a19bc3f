// Framing of the gdb remote serial protocol: turns the byte stream from
// the debugger's socket into packets, acks and interrupts, and wraps a
// reply payload in `$...#xx`. The stream is hostile (anyone who reaches the
// port writes it), so decoding is incremental, bounded and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hl::debug {

inline constexpr size_t kMaxPacketPayload = 16384;  // what we advertise as PacketSize (hex 4000)

struct PacketEvent {
  enum class Kind {
    kPacket,       // a packet with a good checksum; payload holds it, unescaped and run-length expanded
    kInterrupt,    // 0x03 outside a packet: the debugger's Ctrl-C
    kAck,          // '+'
    kNack,         // '-': resend the last reply
    kBadChecksum,  // a frame that failed its checksum or was malformed: answer '-'
    kOversize,     // a payload over the decoder's limit; the rest of that frame is skipped
  };
  Kind kind;
  // kPacket: the payload. kBadChecksum: the payload when only the checksum
  // was wrong (gdbserver accepts such packets in no-ack mode, where no '-'
  // can be sent), empty when the frame itself was malformed (a dangling
  // '}', a bad run length, non-hex checksum digits). Empty otherwise.
  std::string payload;
};

// Splits a byte stream into PacketEvents. Bytes may arrive in any split:
// feeding a stream at once or byte by byte gives the same events.
//
// - `$payload#xx` is a packet. `}` escapes the next byte (byte ^ 0x20);
//   `*c` repeats the previous payload byte c - 29 more times (c printable,
//   not '#' or '$'). The checksum is the sum of the raw bytes between `$`
//   and `#`, as two hex digits of either case.
// - A payload longer than max_payload (after expansion) gives kOversize as
//   soon as it is seen; the decoder then skips to the end of that frame
//   (its `#` and two checksum characters) or the next `$`, whichever comes
//   first, and decodes normally from there.
// - A `$` inside a frame abandons that frame (as gdb itself does) and starts
//   a new one; the abandoned frame gives no event.
// - Outside a frame: 0x03 is kInterrupt, `+` kAck, `-` kNack; any other
//   byte is ignored.
class PacketDecoder {
 public:
  explicit PacketDecoder(size_t max_payload = kMaxPacketPayload);

  // Decodes bytes, appending an event for each complete item to events.
  void feed(std::span<const uint8_t> bytes, std::vector<PacketEvent> &events);

 private:
  enum class State {
    kIdle,            // between frames
    kPayload,         // after '$'
    kEscaped,         // after '}' in the payload
    kRunLength,       // after '*' in the payload
    kChecksumHigh,    // after '#'
    kChecksumLow,     // after the first checksum digit
    kSkipping,        // inside an oversized frame
    kSkipChecksum,    // after the '#' of an oversized frame
    kSkipChecksumLow  // after its first checksum character
  };

  void start_frame();
  void add_payload_byte(uint8_t byte, std::vector<PacketEvent> &events);
  void report_oversize(std::vector<PacketEvent> &events);
  void finish_frame(std::vector<PacketEvent> &events);

  size_t max_payload_;
  State state_ = State::kIdle;
  std::string payload_;   // decoded so far, at most max_payload_ bytes
  uint8_t checksum_ = 0;  // sum of the raw frame bytes so far
  bool malformed_ = false;
  int received_checksum_ = 0;  // the checksum's digits, -1 if one was not hex
};

// "$" + payload with '$', '#', '}' and '*' escaped + "#" + the checksum in
// two lowercase hex digits. No run-length encoding.
std::string frame_packet(std::string_view payload);

// Lowercase hex of bytes, two digits each (memory and register replies).
std::string hex_encode(std::span<const uint8_t> bytes);

}  // namespace hl::debug
