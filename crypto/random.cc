#include "crypto/random.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace dnsp::crypto {

void RandomPool::refill() {
  if (RAND_bytes(buf_.data(), static_cast<int>(buf_.size())) != 1) {
    // OpenSSL's DRBG could not be (re)seeded: take the kernel's CSPRNG directly (glibc's
    // arc4random_buf never fails).
    arc4random_buf(buf_.data(), buf_.size());
  }
  pos_ = 0;
}

uint16_t RandomPool::u16() {
  if (pos_ + 2 > buf_.size()) refill();
  const uint16_t v = static_cast<uint16_t>(buf_[pos_] << 8 | buf_[pos_ + 1]);
  // Each value is used once: the octets are wiped so that nothing read later from memory
  // tells which IDs were drawn.
  buf_[pos_] = buf_[pos_ + 1] = 0;
  pos_ += 2;
  return v;
}

}  // namespace dnsp::crypto
