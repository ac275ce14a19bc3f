// A fast non-cryptographic 64-bit hash: snapshot file checksums and memory
// comparisons in tests. It detects corruption, not forgery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace hl {

class Hasher {
 public:
  void update(const void *data, size_t len) {
    const auto *p = static_cast<const uint8_t *>(data);
    length_ += len;
    while (len >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      mix(w);
      p += 8;
      len -= 8;
    }
    if (len != 0) {
      uint64_t w = 0;
      std::memcpy(&w, p, len);
      mix(w ^ (uint64_t{len} << 56));
    }
  }
  uint64_t digest() const {
    uint64_t h = state_ ^ length_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  }

 private:
  void mix(uint64_t w) {
    w *= 0x87c37b91114253d5ull;
    w = (w << 31) | (w >> 33);
    state_ ^= w * 0x4cf5ad432745937full;
    state_ = ((state_ << 27) | (state_ >> 37)) * 5 + 0x52dce729;
  }
  uint64_t state_ = 0x9e3779b97f4a7c15ull;
  uint64_t length_ = 0;
};

inline uint64_t hash_bytes(const void *data, size_t len) {
  Hasher h;
  h.update(data, len);
  return h.digest();
}

}  // namespace hl
