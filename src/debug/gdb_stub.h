// A gdb remote stub for one sandbox (docs/debugging.md).
//
// The stub listens on 127.0.0.1:port and takes one debugger. A reader
// thread owns the socket's input: it acknowledges packets, queues them, and
// turns gdb's Ctrl-C (and a lost connection) into a kick of the running
// vCPU. Everything else happens on the thread running the vCPU: at a stop
// the sandbox calls stop(), which reports it to gdb and serves gdb's
// requests through a DebugTarget until gdb resumes, and returns how.
//
// Breakpoints, software (Z0) and hardware (Z1) alike, are int3 bytes the
// stub writes into guest code; the guest's #BP (a DPL3 gate) reaches the
// host through the exception stub. Single steps set RFLAGS.TF, whose #DB
// takes the same way. Every mechanism is the guest CPU's own, so it works
// the same on PVM and on hardware KVM; on PVM neither KVM_SET_GUEST_DEBUG
// nor the guest's debug registers have any effect (docs/debugging.md), so
// watchpoints are left to gdb (software watchpoints, by single steps).
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "debug/debug_target.h"

namespace hl::debug {

enum class ResumeAction { kContinue, kStep, kKill };

class GdbStub {
 public:
  // Listens at once, so a port in use fails the sandbox's creation:
  // throws Error(HL_ERROR_DEBUGGER). interrupt_guest is called from the
  // reader thread to make a running vCPU stop (InterruptControl::kick).
  GdbStub(uint16_t port, std::function<void()> interrupt_guest);
  // Tells a gdb that waits for the guest that it exited, closes the
  // connection and joins the reader thread.
  ~GdbStub();
  GdbStub(const GdbStub &) = delete;
  GdbStub &operator=(const GdbStub &) = delete;

  uint16_t port() const { return port_; }
  // Blocks until gdb connects (after printing where to stderr).
  void accept_debugger();
  // Connected and neither detached nor gone.
  bool attached() const;
  // The guest should stop at its next chance: gdb pressed Ctrl-C, or went
  // away and the stub must take its breakpoints out. Clears the request.
  bool take_stop_request();
  // The first run of the vCPU stops before the guest's first instruction.
  bool take_first_stop() { return std::exchange(first_stop_pending_, false); }
  // A stop is due before the guest runs again (the first one, a Ctrl-C
  // that came between calls, cleaning up after gdb left).
  bool wants_stop() const;
  // Until the session ended (detach, kill, gdb gone and cleaned up), debug
  // exceptions go to stop(); afterwards the sandbox behaves as undebugged.
  bool session_active() const;
  // The #BP that stopped the guest is the stub's own breakpoint (RIP is
  // just past an int3 the stub wrote).
  bool owns_trap(DebugTarget &target, uint8_t vector);

  // Reports a stop with signal (debug/stop_signal.h) to gdb and serves it
  // until it resumes the guest. Without a debugger (detached, gone) it takes
  // the stub's breakpoints out and continues.
  ResumeAction stop(DebugTarget &target, uint8_t signal);

  // Around a snapshot: the snapshot must hold the guest's code, not int3s.
  // After a restore, the restored code needs them again.
  void lift_breakpoints(DebugTarget &target);
  void reinsert_breakpoints(DebugTarget &target);

 private:
  void read_loop();
  bool no_ack_mode() const;
  void send_packet(const std::string &payload);
  void send_raw(const std::string &bytes);
  // Waits for gdb's next packet; false once gdb is gone.
  bool next_packet(std::string &payload);
  // One request at a stop; returns true (and sets action) when gdb resumed.
  bool serve(DebugTarget &target, const std::string &payload, ResumeAction &action);
  std::string stop_reply() const;
  std::string insert_breakpoint(DebugTarget &target, uint32_t type, uint64_t address);
  std::string remove_breakpoint(DebugTarget &target, uint32_t type, uint64_t address);
  // Takes every breakpoint out and forgets them: detach, kill, a lost gdb.
  void clear_breakpoints(DebugTarget &target);
  void end_session();

  const uint16_t port_;
  const std::function<void()> interrupt_guest_;
  UniqueFd listener_;
  UniqueFd connection_;
  UniqueFd wake_;  // eventfd: ends the reader thread
  std::thread reader_;

  mutable std::mutex mu_;
  std::condition_variable packet_ready_;
  std::deque<std::string> packets_;  // from gdb, in order
  bool connected_ = false;
  bool gone_ = false;      // the connection ended (EOF, error, or we closed it)
  bool detached_ = false;  // gdb detached or killed: nothing more is sent
  bool ended_ = false;     // and the stub's breakpoints are out
  bool stop_requested_ = false;
  bool no_ack_ = false;    // QStartNoAckMode
  std::string last_sent_;  // resent on '-'
  std::mutex send_mu_;

  // Used on the vCPU thread only.
  bool first_stop_pending_ = true;
  bool gdb_waits_for_stop_ = false;  // gdb resumed the guest and waits for a stop reply
  uint8_t last_signal_ = 0;
  struct Int3 {
    uint8_t original;  // the byte the int3 replaced
    uint32_t users;    // Z0 and Z1 at one address share it
  };
  std::map<uint64_t, Int3> int3s_;                    // by address
  std::set<std::pair<uint32_t, uint64_t>> inserted_;  // (Z type, address) as gdb asked
  bool stepping_ = false;                             // the last resume was gdb's single step (TF set)
  bool breakpoints_lifted_ = false;
};

}  // namespace hl::debug
