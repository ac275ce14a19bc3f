#include "library.h"

namespace hlcli {

void check(hl_error_t *error) {
  if (error == nullptr) return;
  std::unique_ptr<hl_error_t, void (*)(hl_error_t *)> owned(error, hl_error_delete);
  throw LibraryError(hl_error_code(error), hl_error_message(error));
}

}  // namespace hlcli
