#include "debug/gdb_stub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "debug/auxv.h"
#include "debug/gdb_command.h"
#include "debug/gdb_packet.h"
#include "debug/stop_signal.h"
#include "x86/system_tables.h"

namespace hl::debug {
namespace {

constexpr uint8_t kInt3 = 0xCC;
constexpr uint32_t kSoftware = 0, kHardware = 1;  // Z0, Z1

}  // namespace

GdbStub::GdbStub(uint16_t port, std::function<void()> interrupt_guest)
    : port_(port), interrupt_guest_(std::move(interrupt_guest)) {
  listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener_.get() < 0) throw Error(ErrorCode::kDebugger, errno_message("gdb stub: socket", errno));
  const int one = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) {
    const int err = errno;
    if (err == EADDRINUSE)
      throw Error(ErrorCode::kDebugger,
                  format("gdb stub: 127.0.0.1:%u is in use (another sandbox or program listens there); choose "
                         "another port with hl_config_set_gdb_port or HYPERLIGHT_GDB_PORT",
                         port));
    throw Error(ErrorCode::kDebugger, errno_message(format("gdb stub: listening on 127.0.0.1:%u", port).c_str(), err));
  }
  if (::listen(listener_.get(), 1) != 0) throw Error(ErrorCode::kDebugger, errno_message("gdb stub: listen", errno));
  wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  if (wake_.get() < 0) throw Error(ErrorCode::kDebugger, errno_message("gdb stub: eventfd", errno));
}

GdbStub::~GdbStub() {
  bool tell_exit = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tell_exit = connected_ && !gone_ && !detached_ && gdb_waits_for_stop_;
  }
  // gdb sees the program exit normally, as when a process ends.
  if (tell_exit) send_packet("W00");
  if (connection_.get() >= 0) ::shutdown(connection_.get(), SHUT_RDWR);
  const uint64_t one = 1;
  if (wake_.get() >= 0) [[maybe_unused]]
    ssize_t n = ::write(wake_.get(), &one, sizeof one);
  if (reader_.joinable()) reader_.join();
}

void GdbStub::accept_debugger() {
  std::fprintf(stderr, "hyperlight: waiting for gdb on 127.0.0.1:%u (in gdb: target remote :%u)\n", port_, port_);
  std::fflush(stderr);
  int fd;
  do {
    fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw Error(ErrorCode::kDebugger, errno_message("gdb stub: accept", errno));
  connection_ = UniqueFd(fd);
  listener_.reset();  // one debugger per sandbox
  const int one = 1;
  ::setsockopt(connection_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_ = true;
  }
  reader_ = std::thread([this] { read_loop(); });
}

bool GdbStub::attached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_ && !gone_ && !detached_;
}

bool GdbStub::wants_stop() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_stop_pending_ || stop_requested_;
}

bool GdbStub::session_active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_ && !ended_;
}

bool GdbStub::owns_trap(DebugTarget &target, uint8_t vector) {
  // A #DB right after gdb asked for a step is the stub's TF (gdb left
  // while the guest took that step).
  if (vector == x86::kDebugVector) return stepping_;
  if (vector != x86::kBreakpointVector || breakpoints_lifted_) return false;
  return int3s_.contains(target.registers().rip - 1);
}

bool GdbStub::take_stop_request() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(stop_requested_, false);
}

bool GdbStub::no_ack_mode() const {
  std::lock_guard<std::mutex> lock(mu_);
  return no_ack_;
}

void GdbStub::read_loop() {
  PacketDecoder decoder;
  std::vector<PacketEvent> events;
  uint8_t buffer[4096];
  for (;;) {
    pollfd fds[2] = {{connection_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) break;
    const ssize_t n = ::recv(connection_.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    events.clear();
    decoder.feed(std::span<const uint8_t>(buffer, static_cast<size_t>(n)), events);
    for (PacketEvent &event : events) {
      switch (event.kind) {
        // The ack goes out before the packet is queued: once queued, the
        // vCPU thread may answer it at once, and a reply ahead of its ack
        // is dropped by gdb (only this thread changes no_ack_).
        case PacketEvent::Kind::kPacket: {
          if (!no_ack_mode()) send_raw("+");
          {
            std::lock_guard<std::mutex> lock(mu_);
            if (event.payload == "QStartNoAckMode") no_ack_ = true;  // after this one's ack
            packets_.push_back(std::move(event.payload));
          }
          packet_ready_.notify_all();
          break;
        }
        case PacketEvent::Kind::kOversize: {
          // Acknowledged (it arrived whole), answered as malformed.
          if (!no_ack_mode()) send_raw("+");
          {
            std::lock_guard<std::mutex> lock(mu_);
            packets_.push_back(std::string());  // parse_command("") is malformed/unsupported: see serve()
          }
          packet_ready_.notify_all();
          break;
        }
        case PacketEvent::Kind::kBadChecksum: send_raw("-"); break;
        case PacketEvent::Kind::kNack: {
          std::string again;
          {
            std::lock_guard<std::mutex> lock(send_mu_);
            again = last_sent_;
          }
          if (!again.empty()) send_raw(again);
          break;
        }
        case PacketEvent::Kind::kAck: break;
        case PacketEvent::Kind::kInterrupt: {
          {
            std::lock_guard<std::mutex> lock(mu_);
            stop_requested_ = true;
          }
          interrupt_guest_();
          break;
        }
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    gone_ = true;
    stop_requested_ = true;  // a running guest stops once more, so its breakpoints come out
  }
  packet_ready_.notify_all();
  interrupt_guest_();
}

void GdbStub::send_raw(const std::string &bytes) {
  std::lock_guard<std::mutex> lock(send_mu_);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(connection_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader sees the connection end
    done += static_cast<size_t>(n);
  }
}

void GdbStub::send_packet(const std::string &payload) {
  const std::string framed = frame_packet(payload);
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    last_sent_ = framed;
  }
  send_raw(framed);
}

bool GdbStub::next_packet(std::string &payload) {
  std::unique_lock<std::mutex> lock(mu_);
  packet_ready_.wait(lock, [this] { return !packets_.empty() || gone_; });
  if (packets_.empty()) return false;
  payload = std::move(packets_.front());
  packets_.pop_front();
  return true;
}

std::string GdbStub::stop_reply() const { return format("T%02xthread:1;", last_signal_); }

ResumeAction GdbStub::stop(DebugTarget &target, uint8_t signal) {
  if (!attached()) {
    // A breakpoint the stub placed may have been hit just as gdb left:
    // the guest resumes at the int3's address, with its own byte back.
    const X86Registers registers = target.registers();
    const bool at_own_breakpoint =
        signal == signal::kTrap && int3s_.contains(registers.rip - 1) && !breakpoints_lifted_;
    clear_breakpoints(target);
    if (at_own_breakpoint) {
      X86Registers moved = registers;
      moved.rip -= 1;
      target.set_registers(moved);
    }
    end_session();
    stepping_ = false;
    return ResumeAction::kContinue;
  }
  if (signal == signal::kTrap) {
    // gdb takes a hardware breakpoint's stop to be at its address (the CPU
    // faults before the instruction); ours is an int3, which traps after
    // it. (For software breakpoints gdb winds the PC back itself.)
    X86Registers registers = target.registers();
    const uint64_t int3_address = registers.rip - 1;
    if (inserted_.contains({kHardware, int3_address}) && !inserted_.contains({kSoftware, int3_address})) {
      registers.rip = int3_address;
      target.set_registers(registers);
    }
  }
  last_signal_ = signal;
  if (gdb_waits_for_stop_) send_packet(stop_reply());
  gdb_waits_for_stop_ = false;
  std::string payload;
  while (next_packet(payload)) {
    ResumeAction action = ResumeAction::kContinue;
    if (serve(target, payload, action)) {
      if (action == ResumeAction::kKill || !attached()) {
        clear_breakpoints(target);
        end_session();
        // gdb is gone (or detached) with its step: no TF for a step nobody
        // waits for; the guest just runs on.
        if (action == ResumeAction::kStep) action = ResumeAction::kContinue;
      } else {
        gdb_waits_for_stop_ = true;
      }
      stepping_ = action == ResumeAction::kStep;
      return action;
    }
  }
  // gdb went away while the guest was stopped: it runs on without it.
  clear_breakpoints(target);
  end_session();
  stepping_ = false;
  return ResumeAction::kContinue;
}

void GdbStub::end_session() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    detached_ = true;
    ended_ = true;
    stop_requested_ = false;
  }
  if (connection_.get() >= 0) ::shutdown(connection_.get(), SHUT_RDWR);
}

bool GdbStub::serve(DebugTarget &target, const std::string &payload, ResumeAction &action) {
  const GdbCommand command = parse_command(payload);
  using Kind = GdbCommand::Kind;
  switch (command.kind) {
    case Kind::kUnsupported: send_packet(""); return false;
    case Kind::kMalformed: send_packet("E01"); return false;
    case Kind::kHaltReason: send_packet(stop_reply()); return false;
    case Kind::kQuerySupported:
      send_packet(format("PacketSize=%zx;qXfer:features:read+;qXfer:auxv:read+;QStartNoAckMode+;vContSupported+",
                         kMaxPacketPayload));
      return false;
    case Kind::kQueryAttached: send_packet("1"); return false;  // gdb detaches on quit: the guest runs on
    case Kind::kQueryCurrentThread: send_packet("QC1"); return false;
    case Kind::kQueryThreadInfoFirst: send_packet("m1"); return false;
    case Kind::kQueryThreadInfoNext: send_packet("l"); return false;
    case Kind::kQueryOffsets: {
      // The guest is a static PIE loaded at this offset; without an OS ABI
      // gdb does not relocate from the auxv, so it is told here.
      const uint64_t offset = target.load_offset();
      send_packet(format("Text=%llx;Data=%llx;Bss=%llx", static_cast<unsigned long long>(offset),
                         static_cast<unsigned long long>(offset), static_cast<unsigned long long>(offset)));
      return false;
    }
    case Kind::kQuerySymbol: send_packet("OK"); return false;
    case Kind::kStartNoAckMode: send_packet("OK"); return false;
    case Kind::kXferFeatures:
      if (command.annex != "target.xml") {
        send_packet("E00");
        return false;
      }
      send_packet(xfer_reply(target_description_xml(), command.offset, command.length));
      return false;
    case Kind::kXferAuxv:
      send_packet(xfer_reply(encode_auxv(target.auxv()), command.offset, command.length));
      return false;
    case Kind::kReadRegisters: send_packet(encode_registers(target.registers())); return false;
    case Kind::kWriteRegisters: {
      X86Registers registers = target.registers();
      const bool ok = decode_registers(command.data, registers) && target.set_registers(registers);
      send_packet(ok ? "OK" : "E01");
      return false;
    }
    case Kind::kReadRegister: {
      std::string hex;
      send_packet(encode_register(target.registers(), command.regno, hex) ? hex : "E01");
      return false;
    }
    case Kind::kWriteRegister: {
      X86Registers registers = target.registers();
      const bool ok = decode_register(registers, command.regno, command.data) && target.set_registers(registers);
      send_packet(ok ? "OK" : "E01");
      return false;
    }
    case Kind::kReadMemory: {
      std::vector<uint8_t> bytes(command.length);
      send_packet(target.read_memory(command.address, bytes) ? hex_encode(bytes) : "E14");
      return false;
    }
    case Kind::kWriteMemory:
      send_packet(target.write_memory(command.address, command.data) ? "OK" : "E14");
      return false;
    case Kind::kInsertBreakpoint:
      send_packet(insert_breakpoint(target, command.breakpoint_type, command.address));
      return false;
    case Kind::kRemoveBreakpoint:
      send_packet(remove_breakpoint(target, command.breakpoint_type, command.address));
      return false;
    case Kind::kContinue:
    case Kind::kStep: {
      if (command.has_address) {
        X86Registers registers = target.registers();
        registers.rip = command.address;
        target.set_registers(registers);
      }
      action = command.kind == Kind::kStep ? ResumeAction::kStep : ResumeAction::kContinue;
      return true;
    }
    case Kind::kVContQuery: send_packet("vCont;c;C;s;S"); return false;
    case Kind::kKill:
      action = ResumeAction::kKill;
      if (payload.starts_with("vKill")) send_packet("OK");  // 'k' has no reply
      return true;
    case Kind::kDetach:
      send_packet("OK");
      {
        std::lock_guard<std::mutex> lock(mu_);
        detached_ = true;
      }
      action = ResumeAction::kContinue;
      return true;
    case Kind::kSetThread:
    case Kind::kThreadAlive: send_packet("OK"); return false;
  }
  send_packet("");
  return false;
}

std::string GdbStub::insert_breakpoint(DebugTarget &target, uint32_t type, uint64_t address) {
  // Watchpoints would need the debug registers, which PVM does not load
  // for the guest (docs/debugging.md): gdb is told they are unsupported
  // and watches in software, single-stepping (set can-use-hw-watchpoints 0).
  if (type != kSoftware && type != kHardware) return "";
  if (!inserted_.insert({type, address}).second) return "OK";
  auto it = int3s_.find(address);
  if (it != int3s_.end()) {
    it->second.users++;
    return "OK";
  }
  uint8_t original = 0;
  const uint8_t int3 = kInt3;
  if (!target.read_memory(address, std::span<uint8_t>(&original, 1)) ||
      (!breakpoints_lifted_ && !target.write_memory(address, std::span<const uint8_t>(&int3, 1)))) {
    inserted_.erase({type, address});
    return "E14";
  }
  int3s_[address] = {original, 1};
  return "OK";
}

std::string GdbStub::remove_breakpoint(DebugTarget &target, uint32_t type, uint64_t address) {
  if (type != kSoftware && type != kHardware) return "";
  if (inserted_.erase({type, address}) == 0) return "OK";
  auto it = int3s_.find(address);
  if (it == int3s_.end() || --it->second.users > 0) return "OK";
  const uint8_t original = it->second.original;
  int3s_.erase(it);
  if (!breakpoints_lifted_ && !target.write_memory(address, std::span<const uint8_t>(&original, 1))) return "E14";
  return "OK";
}

void GdbStub::clear_breakpoints(DebugTarget &target) {
  if (!breakpoints_lifted_)
    for (const auto &[address, int3] : int3s_)
      target.write_memory(address, std::span<const uint8_t>(&int3.original, 1));
  int3s_.clear();
  inserted_.clear();
  breakpoints_lifted_ = false;
}

void GdbStub::lift_breakpoints(DebugTarget &target) {
  if (breakpoints_lifted_) return;
  for (const auto &[address, int3] : int3s_) target.write_memory(address, std::span<const uint8_t>(&int3.original, 1));
  breakpoints_lifted_ = true;
}

void GdbStub::reinsert_breakpoints(DebugTarget &target) {
  // After a restore the code is the snapshot's: read the bytes afresh.
  const uint8_t int3_byte = kInt3;
  for (auto &[address, int3] : int3s_) {
    uint8_t current = 0;
    if (!target.read_memory(address, std::span<uint8_t>(&current, 1))) continue;
    if (current != kInt3) int3.original = current;
    target.write_memory(address, std::span<const uint8_t>(&int3_byte, 1));
  }
  breakpoints_lifted_ = false;
}

}  // namespace hl::debug
