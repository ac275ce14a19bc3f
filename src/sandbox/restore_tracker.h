// Which of a sandbox's pages may differ from its baseline snapshot, so a
// restore copies back those and no others.
//
// Guest writes come from KVM's dirty ring (the sandbox harvests it and
// reports each page here). The host's own writes, which KVM does not log,
// are reported by the code that makes them: the call path (the input
// buffer, as far as each message or reply reached, also when it failed
// half-way) and mapped regions (the page tables). The PEB is always copied
// (the host publishes the counter there at any time). Nothing the guest can
// write decides what is restored.
//
// The one owner is the sandbox; every host write to guest memory must be
// reported here before the next restore.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "mem/guest_memory.h"
#include "mem/layout.h"
#include "snapshot/dirty_page_set.h"
#include "snapshot/snapshot.h"

namespace hl {

class RestoreTracker {
 public:
  explicit RestoreTracker(uint64_t memory_pages) : dirty_pages_(memory_pages) {}

  // Memory equals baseline now (a snapshot was taken, or it was copied in
  // whole): nothing differs yet.
  void start(const std::shared_ptr<const Snapshot> &baseline);
  // The baseline, or null once it is gone. The tracker does not keep it
  // alive: tracking serves only restores of the baseline, which need a
  // handle to it, and a snapshot no handle can restore must go, with the
  // mapped regions it records (mem/mapped_memory.h).
  std::shared_ptr<const Snapshot> baseline() const { return baseline_.lock(); }
  // Nothing is known about memory any more (a failed restore).
  void forget() { baseline_.reset(); }
  // Forgets the baseline (a sandbox being parked); what was tracked stays,
  // and resume() with the same snapshot takes up from there.
  void release_baseline() { baseline_.reset(); }
  void resume(const std::shared_ptr<const Snapshot> &baseline) { baseline_ = baseline; }

  void note_guest_page(uint64_t page) { dirty_pages_.insert(page); }
  void note_input_written(uint64_t end) { input_written_end_ = std::max(input_written_end_, end); }
  void note_page_tables_edited() { page_tables_edited_ = true; }

  // Copies back from baseline (the tracker's, which the caller holds) every
  // page that may differ. reprotect says when the caller should also
  // re-protect the pages the guest writes (KVM's dirty-ring reset): every
  // kResetInterval restores the working set is forgotten, so pages one
  // request wrote are not copied forever.
  struct Restored {
    uint64_t pages;  // copied
    bool reprotect;
  };
  Restored restore(const Snapshot &baseline, const mem::GuestMemory &memory, const mem::Layout &layout);

  // Guest pages kept writable between restores, for a steady working set.
  static constexpr uint32_t kResetInterval = 256;

 private:
  std::weak_ptr<const Snapshot> baseline_;
  DirtyPageSet dirty_pages_;
  uint64_t input_written_end_ = 0;
  bool page_tables_edited_ = false;
  uint32_t restores_since_reset_ = 0;
};

}  // namespace hl
