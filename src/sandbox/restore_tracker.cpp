#include "sandbox/restore_tracker.h"

namespace hl {

void RestoreTracker::start(const std::shared_ptr<const Snapshot> &baseline) {
  dirty_pages_.clear();
  input_written_end_ = 0;
  page_tables_edited_ = false;
  restores_since_reset_ = 0;
  baseline_ = baseline;
}

bool RestoreTracker::restore(const Snapshot &snap, const mem::GuestMemory &memory, const mem::Layout &layout) {
  const uint64_t page = mem::kPageSize;
  for (uint32_t p : dirty_pages_.pages()) snap.memory.copy_pages(memory, p, 1);
  if (input_written_end_ != 0)
    snap.memory.copy_pages(memory, layout.input_buffer / page, mem::page_round_up(input_written_end_) / page);
  if (page_tables_edited_) snap.memory.copy_pages(memory, layout.page_tables / page, layout.page_tables_size / page);
  snap.memory.copy_pages(memory, layout.peb / page, 1);  // the counter: published by the host at any time
  input_written_end_ = 0;
  page_tables_edited_ = false;
  if (++restores_since_reset_ < kResetInterval) return false;
  // Memory equals the baseline now: forget the working set and let KVM
  // report it afresh.
  dirty_pages_.clear();
  restores_since_reset_ = 0;
  return true;
}

}  // namespace hl
