// The signal a debugger is told a guest stopped with, from the x86
// exception vector that stopped it (gdb shows SIGSEGV, SIGILL, ... as it
// would for a process). Numbers are gdb's remote-protocol signal numbers,
// which equal Linux's for these.
#pragma once

#include <cstdint>

namespace hl::debug {

namespace signal {
inline constexpr uint8_t kInterrupt = 2;      // SIGINT: the debugger's Ctrl-C
inline constexpr uint8_t kIllegal = 4;        // SIGILL
inline constexpr uint8_t kTrap = 5;           // SIGTRAP: breakpoints, steps, the first stop
inline constexpr uint8_t kAbort = 6;          // SIGABRT: the guest aborted
inline constexpr uint8_t kBus = 7;            // SIGBUS
inline constexpr uint8_t kFloatingPoint = 8;  // SIGFPE
inline constexpr uint8_t kKill = 9;           // SIGKILL: a kill, a time limit
inline constexpr uint8_t kSegv = 11;          // SIGSEGV
}  // namespace signal

// The signal for a guest exception on vector (0..31).
uint8_t signal_for_vector(uint8_t vector);

}  // namespace hl::debug
