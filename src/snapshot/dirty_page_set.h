// A set of guest page numbers: a bitmap for membership and a list for
// iteration, so that visiting or clearing it costs what it holds, not the
// size of guest memory.
#pragma once

#include <cstdint>
#include <vector>

namespace hl {

class DirtyPageSet {
 public:
  explicit DirtyPageSet(uint64_t page_count = 0) : bits_((page_count + 63) / 64, 0), page_count_(page_count) {}

  // Pages outside the set's range are ignored: they are not guest memory.
  void insert(uint64_t page) {
    if (page >= page_count_) return;
    uint64_t &word = bits_[page / 64];
    const uint64_t bit = uint64_t{1} << (page % 64);
    if (word & bit) return;
    word |= bit;
    pages_.push_back(static_cast<uint32_t>(page));
  }
  bool contains(uint64_t page) const { return page < page_count_ && (bits_[page / 64] >> (page % 64)) & 1; }
  const std::vector<uint32_t> &pages() const { return pages_; }
  size_t size() const { return pages_.size(); }
  void clear() {
    for (uint32_t p : pages_) bits_[p / 64] = 0;
    pages_.clear();
  }

 private:
  std::vector<uint64_t> bits_;
  std::vector<uint32_t> pages_;
  uint64_t page_count_;
};

}  // namespace hl
