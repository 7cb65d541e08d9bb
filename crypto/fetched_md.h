// The digests OpenSSL 3 implements, fetched once per process. EVP_sha256() and friends are
// legacy handles: every EVP_DigestInit_ex / EVP_DigestVerifyInit with one of them looks the
// implementation up again in the provider store (an "implicit fetch", a few microseconds
// each: an NSEC3 hash with 150 iterations does it 151 times). Fetched objects are
// immutable and safe to share between threads; they live until the process ends.
#pragma once

#include <openssl/evp.h>

namespace dnsp::crypto::md {

inline const EVP_MD* sha1() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md != nullptr ? md : EVP_sha1();
}
inline const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}
inline const EVP_MD* sha384() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  return md != nullptr ? md : EVP_sha384();
}
inline const EVP_MD* sha512() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  return md != nullptr ? md : EVP_sha512();
}

}  // namespace dnsp::crypto::md
