// Framing of the gdb remote serial protocol (see gdb_packet.h): a byte-at-a-
// time state machine, so any split of the stream decodes the same, and a
// payload that never holds more than max_payload bytes.
#include "debug/gdb_packet.h"

namespace hl::debug {

namespace {

constexpr uint8_t kInterruptByte = 0x03;
constexpr uint8_t kEscapeXor = 0x20;
constexpr int kRunLengthBias = 29;  // '*' c repeats the previous byte c - 29 more times
constexpr uint8_t kFirstRunLengthChar = ' ';
constexpr uint8_t kLastRunLengthChar = '~';
constexpr char kHexDigits[] = "0123456789abcdef";

int hex_digit_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool needs_escape(char c) { return c == '$' || c == '#' || c == '}' || c == '*'; }

}  // namespace

PacketDecoder::PacketDecoder(size_t max_payload) : max_payload_(max_payload) {}

void PacketDecoder::start_frame() {
  state_ = State::kPayload;
  payload_.clear();
  checksum_ = 0;
  malformed_ = false;
  received_checksum_ = 0;
}

void PacketDecoder::report_oversize(std::vector<PacketEvent> &events) {
  events.push_back({PacketEvent::Kind::kOversize, {}});
  payload_.clear();
  state_ = State::kSkipping;
}

void PacketDecoder::add_payload_byte(uint8_t byte, std::vector<PacketEvent> &events) {
  if (payload_.size() >= max_payload_) {
    report_oversize(events);
    return;
  }
  payload_.push_back(static_cast<char>(byte));
}

void PacketDecoder::finish_frame(std::vector<PacketEvent> &events) {
  state_ = State::kIdle;
  if (malformed_ || received_checksum_ < 0) {
    events.push_back({PacketEvent::Kind::kBadChecksum, {}});
  } else if (received_checksum_ != checksum_) {
    events.push_back({PacketEvent::Kind::kBadChecksum, std::move(payload_)});
  } else {
    events.push_back({PacketEvent::Kind::kPacket, std::move(payload_)});
  }
  payload_.clear();
}

void PacketDecoder::feed(std::span<const uint8_t> bytes, std::vector<PacketEvent> &events) {
  for (uint8_t byte : bytes) {
    // A '$' starts a new frame wherever it appears, except as a checksum
    // digit of a frame whose '#' was seen: that frame is then malformed.
    if (byte == '$') {
      if (state_ == State::kChecksumHigh || state_ == State::kChecksumLow) {
        malformed_ = true;
        finish_frame(events);
      }
      start_frame();
      continue;
    }
    switch (state_) {
      case State::kIdle:
        if (byte == kInterruptByte) {
          events.push_back({PacketEvent::Kind::kInterrupt, {}});
        } else if (byte == '+') {
          events.push_back({PacketEvent::Kind::kAck, {}});
        } else if (byte == '-') {
          events.push_back({PacketEvent::Kind::kNack, {}});
        }
        break;
      case State::kPayload:
        if (byte == '#') {
          state_ = State::kChecksumHigh;
          break;
        }
        checksum_ = static_cast<uint8_t>(checksum_ + byte);
        if (byte == '}') {
          state_ = State::kEscaped;
        } else if (byte == '*') {
          state_ = State::kRunLength;
        } else {
          add_payload_byte(byte, events);
        }
        break;
      case State::kEscaped:
        if (byte == '#') {  // a '}' with nothing to escape
          malformed_ = true;
          state_ = State::kChecksumHigh;
          break;
        }
        checksum_ = static_cast<uint8_t>(checksum_ + byte);
        state_ = State::kPayload;
        add_payload_byte(byte ^ kEscapeXor, events);
        break;
      case State::kRunLength: {
        if (byte == '#') {  // a '*' with no count
          malformed_ = true;
          state_ = State::kChecksumHigh;
          break;
        }
        checksum_ = static_cast<uint8_t>(checksum_ + byte);
        state_ = State::kPayload;
        if (byte < kFirstRunLengthChar || byte > kLastRunLengthChar || payload_.empty()) {
          malformed_ = true;
          break;
        }
        const size_t repeat = static_cast<size_t>(byte - kRunLengthBias);
        if (repeat > max_payload_ - payload_.size()) {
          report_oversize(events);
          break;
        }
        payload_.append(repeat, payload_.back());
        break;
      }
      case State::kChecksumHigh: {
        const int digit = hex_digit_value(byte);
        received_checksum_ = digit < 0 ? -1 : digit << 4;
        state_ = State::kChecksumLow;
        break;
      }
      case State::kChecksumLow: {
        const int digit = hex_digit_value(byte);
        if (digit < 0 || received_checksum_ < 0) {
          received_checksum_ = -1;
        } else {
          received_checksum_ |= digit;
        }
        finish_frame(events);
        break;
      }
      case State::kSkipping:
        if (byte == '#') state_ = State::kSkipChecksum;
        break;
      case State::kSkipChecksum: state_ = State::kSkipChecksumLow; break;
      case State::kSkipChecksumLow: state_ = State::kIdle; break;
    }
  }
}

std::string frame_packet(std::string_view payload) {
  std::string framed;
  framed.reserve(payload.size() * 2 + 4);
  framed.push_back('$');
  uint8_t checksum = 0;
  for (char c : payload) {
    if (needs_escape(c)) {
      framed.push_back('}');
      checksum = static_cast<uint8_t>(checksum + '}');
      c = static_cast<char>(c ^ kEscapeXor);
    }
    framed.push_back(c);
    checksum = static_cast<uint8_t>(checksum + static_cast<uint8_t>(c));
  }
  framed.push_back('#');
  framed.push_back(kHexDigits[checksum >> 4]);
  framed.push_back(kHexDigits[checksum & 0xf]);
  return framed;
}

std::string hex_encode(std::span<const uint8_t> bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (uint8_t byte : bytes) {
    hex.push_back(kHexDigits[byte >> 4]);
    hex.push_back(kHexDigits[byte & 0xf]);
  }
  return hex;
}

}  // namespace hl::debug
