/* Host-provided data the guest reads from its PEB: the init-data blob and
 * the guest counter. */
#include "runtime.h"

int hlg_init_data(const uint8_t **data, size_t *len) {
  if (hlg_peb->init_data == 0 || hlg_peb->init_data_size == 0) {
    *data = 0;
    *len = 0;
    return 0;
  }
  *data = (const uint8_t *)(uintptr_t)hlg_peb->init_data;
  *len = (size_t)hlg_peb->init_data_size;
  return 1;
}

uint64_t hlg_counter(void) { return hlg_peb->counter; /* volatile: the host may change it at any time */ }
