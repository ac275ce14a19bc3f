// Parsing of gdb remote-protocol payloads (see gdb_command.h). Each parser
// takes the text after the command's name and either fills the command or
// says it is malformed; numbers are hex of at most 16 digits, so no value
// can overflow.
#include "debug/gdb_command.h"

#include <limits>
#include <optional>

namespace hl::debug {

namespace {

using Kind = GdbCommand::Kind;

constexpr size_t kMaxHexDigits = 16;
constexpr uint64_t kMaxBreakpointType = 4;  // access watchpoint
constexpr uint64_t kMaxSignal = 0xff;

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 1 to 16 hex digits, nothing else.
std::optional<uint64_t> parse_hex(std::string_view text) {
  if (text.empty() || text.size() > kMaxHexDigits) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    const int digit = hex_digit_value(c);
    if (digit < 0) return std::nullopt;
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return value;
}

std::optional<uint32_t> parse_hex32(std::string_view text) {
  const auto value = parse_hex(text);
  if (!value || *value > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

// Pairs of hex digits into bytes.
bool decode_hex(std::string_view text, std::vector<uint8_t> &bytes) {
  if (text.size() % 2 != 0) return false;
  bytes.clear();
  bytes.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int high = hex_digit_value(text[i]);
    const int low = hex_digit_value(text[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes.push_back(static_cast<uint8_t>(high << 4 | low));
  }
  return true;
}

// A thread id: "-1" (all), "0" (any) or a positive hex number.
std::optional<int64_t> parse_thread_id(std::string_view text) {
  if (text == "-1") return -1;
  const auto value = parse_hex(text);
  if (!value || *value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(*value);
}

bool names_our_thread(int64_t thread_id) { return thread_id == -1 || thread_id == 0 || thread_id == kThreadId; }

// Splits text at the first sep: false if there is none.
bool split_once(std::string_view text, char sep, std::string_view &before, std::string_view &after) {
  const size_t at = text.find(sep);
  if (at == std::string_view::npos) return false;
  before = text.substr(0, at);
  after = text.substr(at + 1);
  return true;
}

GdbCommand make(Kind kind) {
  GdbCommand command;
  command.kind = kind;
  return command;
}

GdbCommand malformed() { return make(Kind::kMalformed); }

// "addr,len" of m, M and X: len within kMaxMemoryTransfer, and the range
// must not wrap past the top of the address space.
bool parse_memory_range(std::string_view text, GdbCommand &command) {
  std::string_view address_text;
  std::string_view length_text;
  if (!split_once(text, ',', address_text, length_text)) return false;
  const auto address = parse_hex(address_text);
  const auto length = parse_hex(length_text);
  if (!address || !length || *length > kMaxMemoryTransfer) return false;
  if (*length != 0 && *address > std::numeric_limits<uint64_t>::max() - (*length - 1)) return false;
  command.address = *address;
  command.length = *length;
  return true;
}

GdbCommand parse_read_memory(std::string_view args) {
  GdbCommand command = make(Kind::kReadMemory);
  return parse_memory_range(args, command) ? command : malformed();
}

// M addr,len:hex (hex_data) and X addr,len:binary.
GdbCommand parse_write_memory(std::string_view args, bool hex_data) {
  GdbCommand command = make(Kind::kWriteMemory);
  std::string_view range;
  std::string_view data;
  if (!split_once(args, ':', range, data) || !parse_memory_range(range, command)) return malformed();
  if (hex_data) {
    if (data.size() != command.length * 2 || !decode_hex(data, command.data)) return malformed();
  } else {
    if (data.size() != command.length) return malformed();
    command.data.assign(data.begin(), data.end());
  }
  return command;
}

// Z/z type,addr,kind. An unknown type is unsupported, not malformed: gdb
// then knows not to ask for that kind of breakpoint again.
GdbCommand parse_breakpoint(std::string_view args, Kind kind) {
  std::string_view type_text;
  std::string_view rest;
  std::string_view address_text;
  std::string_view kind_text;
  if (!split_once(args, ',', type_text, rest)) return malformed();
  const auto type = parse_hex(type_text);
  if (!type) return malformed();
  if (*type > kMaxBreakpointType) return make(Kind::kUnsupported);
  if (!split_once(rest, ',', address_text, kind_text)) return malformed();
  const auto address = parse_hex(address_text);
  const auto breakpoint_kind = parse_hex32(kind_text);  // a condition list (";X...") fails here
  if (!address || !breakpoint_kind) return malformed();
  GdbCommand command = make(kind);
  command.breakpoint_type = static_cast<uint32_t>(*type);
  command.address = *address;
  command.breakpoint_kind = *breakpoint_kind;
  return command;
}

// c [addr] and s [addr].
GdbCommand parse_resume(std::string_view args, Kind kind) {
  GdbCommand command = make(kind);
  if (args.empty()) return command;
  const auto address = parse_hex(args);
  if (!address) return malformed();
  command.address = *address;
  command.has_address = true;
  return command;
}

std::optional<uint8_t> parse_signal(std::string_view text) {
  const auto signal = parse_hex(text);
  if (!signal || *signal > kMaxSignal) return std::nullopt;
  return static_cast<uint8_t>(*signal);
}

// C sig[;addr] and S sig[;addr].
GdbCommand parse_resume_with_signal(std::string_view args, Kind kind) {
  std::string_view signal_text = args;
  std::string_view address_text;
  const bool has_address = split_once(args, ';', signal_text, address_text);
  const auto signal = parse_signal(signal_text);
  if (!signal) return malformed();
  GdbCommand command = make(kind);
  command.signal = *signal;
  if (has_address) {
    const auto address = parse_hex(address_text);
    if (!address) return malformed();
    command.address = *address;
    command.has_address = true;
  }
  return command;
}

// vCont;action[:tid]... (args is what follows "vCont;"). The leftmost
// action that names our thread (or names no thread) is the one we take.
GdbCommand parse_vcont(std::string_view args) {
  std::optional<GdbCommand> chosen;
  while (true) {
    std::string_view action = args;
    std::string_view rest;
    const bool more = split_once(args, ';', action, rest);
    std::string_view thread_text;
    const bool has_thread = split_once(action, ':', action, thread_text);
    if (action.empty()) return malformed();
    bool ours = true;
    if (has_thread) {
      const auto thread_id = parse_thread_id(thread_text);
      if (!thread_id) return malformed();
      ours = names_our_thread(*thread_id);
    }
    const char letter = action[0];
    const std::string_view action_args = action.substr(1);
    GdbCommand command;
    switch (letter) {
      case 'c':
      case 's':
        if (!action_args.empty()) return malformed();
        command = make(letter == 'c' ? Kind::kContinue : Kind::kStep);
        break;
      case 'C':
      case 'S': {
        const auto signal = parse_signal(action_args);
        if (!signal) return malformed();
        command = make(letter == 'C' ? Kind::kContinue : Kind::kStep);
        command.signal = *signal;
        break;
      }
      case 't':
        if (!action_args.empty()) return malformed();
        command = make(Kind::kUnsupported);
        break;
      case 'r': {
        std::string_view start_text;
        std::string_view end_text;
        if (!split_once(action_args, ',', start_text, end_text) || !parse_hex(start_text) || !parse_hex(end_text)) {
          return malformed();
        }
        command = make(Kind::kUnsupported);
        break;
      }
      default: command = make(Kind::kUnsupported); break;  // an action we did not advertise
    }
    if (ours && !chosen) chosen = command;
    if (!more) break;
    args = rest;
  }
  // No action for our thread: it would stay stopped with nothing running.
  return chosen ? *chosen : malformed();
}

// qXfer:OBJECT:read:ANNEX:OFF,LEN (args is what follows "qXfer:").
GdbCommand parse_xfer(std::string_view args) {
  std::string_view object;
  std::string_view operation;
  std::string_view rest;
  if (!split_once(args, ':', object, rest) || !split_once(rest, ':', operation, rest)) return malformed();
  Kind kind;
  if (object == "features") {
    kind = Kind::kXferFeatures;
  } else if (object == "auxv") {
    kind = Kind::kXferAuxv;
  } else {
    return make(Kind::kUnsupported);
  }
  if (operation != "read") return make(Kind::kUnsupported);
  std::string_view annex;
  std::string_view window;
  std::string_view offset_text;
  std::string_view length_text;
  if (!split_once(rest, ':', annex, window) || !split_once(window, ',', offset_text, length_text)) {
    return malformed();
  }
  const auto offset = parse_hex(offset_text);
  const auto length = parse_hex(length_text);
  if (!offset || !length) return malformed();
  if (kind == Kind::kXferAuxv && !annex.empty()) return malformed();
  GdbCommand command = make(kind);
  command.annex = std::string(annex);
  command.offset = *offset;
  command.length = *length;
  return command;
}

// q... general queries. The name ends at the first ':', ',' or ';'.
GdbCommand parse_query(std::string_view payload) {
  const size_t name_end = payload.find_first_of(":,;");
  const std::string_view name = payload.substr(0, name_end);
  const std::string_view rest = name_end == std::string_view::npos ? std::string_view{} : payload.substr(name_end);
  // Queries that take no arguments.
  const struct {
    std::string_view name;
    Kind kind;
  } plain[] = {{"qC", Kind::kQueryCurrentThread},
               {"qfThreadInfo", Kind::kQueryThreadInfoFirst},
               {"qsThreadInfo", Kind::kQueryThreadInfoNext},
               {"qOffsets", Kind::kQueryOffsets}};
  for (const auto &query : plain) {
    if (name == query.name) return rest.empty() ? make(query.kind) : malformed();
  }
  if (name == "qSupported") {
    // Features gdb offers; the reply does not depend on them.
    return rest.empty() || rest[0] == ':' ? make(Kind::kQuerySupported) : malformed();
  }
  if (name == "qAttached") {
    if (rest.empty()) return make(Kind::kQueryAttached);
    return rest[0] == ':' && parse_hex(rest.substr(1)) ? make(Kind::kQueryAttached) : malformed();
  }
  if (name == "qSymbol") {
    // "qSymbol::" offers lookups, "qSymbol:addr:name" answers one; we need none.
    return !rest.empty() && rest[0] == ':' ? make(Kind::kQuerySymbol) : malformed();
  }
  if (name == "qXfer") return !rest.empty() && rest[0] == ':' ? parse_xfer(rest.substr(1)) : malformed();
  return make(Kind::kUnsupported);
}

// v... packets. The name ends at the first ';', '?' or ':'.
GdbCommand parse_v_packet(std::string_view payload) {
  const size_t name_end = payload.find_first_of(";?:");
  const std::string_view name = payload.substr(0, name_end);
  const std::string_view rest = name_end == std::string_view::npos ? std::string_view{} : payload.substr(name_end);
  if (name == "vCont") {
    if (rest == "?") return make(Kind::kVContQuery);
    if (!rest.empty() && rest[0] == ';') return parse_vcont(rest.substr(1));
    return malformed();
  }
  if (name == "vKill")
    return rest.size() > 1 && rest[0] == ';' && parse_hex(rest.substr(1)) ? make(Kind::kKill) : malformed();
  return make(Kind::kUnsupported);
}

// Hg<tid> and Hc<tid>.
GdbCommand parse_set_thread(std::string_view args) {
  if (args.empty()) return malformed();
  if (args[0] != 'g' && args[0] != 'c') return make(Kind::kUnsupported);
  const auto thread_id = parse_thread_id(args.substr(1));
  if (!thread_id) return malformed();
  GdbCommand command = make(Kind::kSetThread);
  command.thread_id = *thread_id;
  return command;
}

GdbCommand parse_thread_alive(std::string_view args) {
  const auto thread_id = parse_thread_id(args);
  if (!thread_id) return malformed();
  GdbCommand command = make(Kind::kThreadAlive);
  command.thread_id = *thread_id;
  return command;
}

GdbCommand parse_read_register(std::string_view args) {
  const auto regno = parse_hex32(args);
  if (!regno) return malformed();
  GdbCommand command = make(Kind::kReadRegister);
  command.regno = *regno;
  return command;
}

GdbCommand parse_write_register(std::string_view args) {
  std::string_view regno_text;
  std::string_view value_text;
  if (!split_once(args, '=', regno_text, value_text)) return malformed();
  const auto regno = parse_hex32(regno_text);
  GdbCommand command = make(Kind::kWriteRegister);
  if (!regno || value_text.empty() || !decode_hex(value_text, command.data)) return malformed();
  command.regno = *regno;
  return command;
}

GdbCommand parse_write_registers(std::string_view args) {
  GdbCommand command = make(Kind::kWriteRegisters);
  if (args.empty() || !decode_hex(args, command.data)) return malformed();
  return command;
}

// A command that takes no arguments: anything after its letter is malformed.
GdbCommand exactly(std::string_view args, Kind kind) { return args.empty() ? make(kind) : malformed(); }

}  // namespace

GdbCommand parse_command(std::string_view payload) {
  if (payload.empty()) return make(Kind::kUnsupported);
  const std::string_view args = payload.substr(1);
  switch (payload[0]) {
    case '?': return exactly(args, Kind::kHaltReason);
    case 'q': return parse_query(payload);
    case 'Q': return payload == "QStartNoAckMode" ? make(Kind::kStartNoAckMode) : make(Kind::kUnsupported);
    case 'v': return parse_v_packet(payload);
    case 'g': return exactly(args, Kind::kReadRegisters);
    case 'G': return parse_write_registers(args);
    case 'p': return parse_read_register(args);
    case 'P': return parse_write_register(args);
    case 'm': return parse_read_memory(args);
    case 'M': return parse_write_memory(args, /*hex_data=*/true);
    case 'X': return parse_write_memory(args, /*hex_data=*/false);
    case 'Z': return parse_breakpoint(args, Kind::kInsertBreakpoint);
    case 'z': return parse_breakpoint(args, Kind::kRemoveBreakpoint);
    case 'c': return parse_resume(args, Kind::kContinue);
    case 's': return parse_resume(args, Kind::kStep);
    case 'C': return parse_resume_with_signal(args, Kind::kContinue);
    case 'S': return parse_resume_with_signal(args, Kind::kStep);
    case 'k': return exactly(args, Kind::kKill);
    case 'D':
      if (args.empty()) return make(Kind::kDetach);
      return args[0] == ';' && parse_hex(args.substr(1)) ? make(Kind::kDetach) : malformed();
    case 'H': return parse_set_thread(args);
    case 'T': return parse_thread_alive(args);
    default: return make(Kind::kUnsupported);
  }
}

}  // namespace hl::debug
