#include "sandbox/config.h"

#include "common/error.h"
#include "mem/layout.h"

namespace hl {
namespace {

uint64_t checked_size(const char *what, uint64_t bytes, uint64_t min, uint64_t max) {
  if (bytes < min || bytes > max)
    throw Error(HL_ERROR_INVALID_ARGUMENT,
                format("%s of %llu bytes is outside the allowed range [%llu, %llu]", what,
                       static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(min),
                       static_cast<unsigned long long>(max)));
  return mem::page_round_up(bytes);
}

}  // namespace

void SandboxConfig::set_heap_size(uint64_t bytes) {
  heap_size = checked_size("hl_config_set_heap_size: heap size", bytes, kMinHeap, kMaxHeap);
}

void SandboxConfig::set_stack_size(uint64_t bytes) {
  stack_size = checked_size("hl_config_set_stack_size: stack size", bytes, kMinStack, kMaxStack);
}

}  // namespace hl
