#include "debug/stop_signal.h"

namespace hl::debug {

uint8_t signal_for_vector(uint8_t vector) {
  switch (vector) {
    case 0:                                  // divide error
    case 16:                                 // x87 floating point
    case 19: return signal::kFloatingPoint;  // SIMD floating point
    case 1:                                  // debug
    case 3: return signal::kTrap;            // breakpoint
    case 6: return signal::kIllegal;         // invalid opcode
    case 17: return signal::kBus;            // alignment check
    default: return signal::kSegv;           // #GP, #PF, #SS, bound, overflow, ...
  }
}

}  // namespace hl::debug
