#include "sandbox/restore_tracker.h"

namespace hl {

void RestoreTracker::start(const std::shared_ptr<const Snapshot> &baseline) {
  dirty_pages_.clear();
  input_written_end_ = 0;
  page_tables_edited_ = false;
  restores_since_reset_ = 0;
  baseline_ = baseline;
}

RestoreTracker::Restored RestoreTracker::restore(const Snapshot &snap, const mem::GuestMemory &memory,
                                                 const mem::Layout &layout) {
  const uint64_t page = mem::kPageSize;
  uint64_t copied = dirty_pages_.size();
  for (uint32_t p : dirty_pages_.pages()) snap.memory.copy_pages(memory, p, 1);
  if (input_written_end_ != 0) {
    const uint64_t input_pages = mem::page_round_up(input_written_end_) / page;
    snap.memory.copy_pages(memory, layout.input_buffer / page, input_pages);
    copied += input_pages;
  }
  if (page_tables_edited_) {
    snap.memory.copy_pages(memory, layout.page_tables / page, layout.page_tables_size / page);
    copied += layout.page_tables_size / page;
  }
  snap.memory.copy_pages(memory, layout.peb / page, 1);  // the counter: published by the host at any time
  copied += 1;
  input_written_end_ = 0;
  page_tables_edited_ = false;
  if (++restores_since_reset_ < kResetInterval) return Restored{copied, false};
  // Memory equals the baseline now: forget the working set and let KVM
  // report it afresh.
  dirty_pages_.clear();
  restores_since_reset_ = 0;
  return Restored{copied, true};
}

}  // namespace hl
