// Sandbox settings, validated when set (so a bad size fails at the setter
// that caused it, with the allowed range in the message).
#pragma once

#include <cstdint>

namespace hl {

struct SandboxConfig {
  static constexpr uint64_t kMinHeap = 64ull << 10, kMaxHeap = 1ull << 30;
  static constexpr uint64_t kMinStack = 16ull << 10, kMaxStack = 256ull << 20;

  uint64_t heap_size = 4ull << 20;
  uint64_t stack_size = 256ull << 10;
  uint64_t input_buffer_size = 64ull << 10;
  uint64_t output_buffer_size = 64ull << 10;

  // Round up to 4 KiB; throw Error(HL_ERROR_INVALID_ARGUMENT) naming the range.
  void set_heap_size(uint64_t bytes);
  void set_stack_size(uint64_t bytes);
};

}  // namespace hl
