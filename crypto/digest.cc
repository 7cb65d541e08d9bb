#include "crypto/digest.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>

#include "crypto/algorithm.h"
#include "crypto/fetched_md.h"

namespace dnsp::crypto {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const EVP_MD* ds_md(uint8_t digest_type) {
  if (!digest_supported(digest_type)) return nullptr;
  switch (static_cast<DigestType>(digest_type)) {
    case DigestType::Sha1:
      return md::sha1();
    case DigestType::Sha256:
      return md::sha256();
    case DigestType::Sha384:
      return md::sha384();
  }
  return nullptr;
}

// H(a || b) into `out`, which must hold EVP_MD_get_size(md) octets. False if OpenSSL failed.
bool hash_two(EVP_MD_CTX* ctx, const EVP_MD* md, std::span<const uint8_t> a,
              std::span<const uint8_t> b, uint8_t* out) {
  return EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
         EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
         EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
         EVP_DigestFinal_ex(ctx, out, nullptr) == 1;
}

}  // namespace

DigestResult ds_digest(uint8_t digest_type, std::span<const uint8_t> data) {
  const EVP_MD* md = ds_md(digest_type);
  if (md == nullptr) return {DigestStatus::Unsupported, {}};
  std::vector<uint8_t> digest(static_cast<size_t>(EVP_MD_get_size(md)));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !hash_two(ctx.get(), md, data, {}, digest.data())) {
    ERR_clear_error();
    return {DigestStatus::Error, {}};
  }
  return {DigestStatus::Ok, std::move(digest)};
}

std::optional<std::vector<uint8_t>> nsec3_hash(uint8_t hash_algorithm,
                                               std::span<const uint8_t> owner_canonical_wire,
                                               std::span<const uint8_t> salt, uint16_t iterations) {
  // RFC 5155 §11: hash algorithm 1 is SHA-1, the only one assigned.
  if (hash_algorithm != 1) return std::nullopt;
  const EVP_MD* md = md::sha1();
  std::vector<uint8_t> hash(static_cast<size_t>(EVP_MD_get_size(md)));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // IH(salt, x, 0) = H(x || salt)
  bool ok = ctx && hash_two(ctx.get(), md, owner_canonical_wire, salt, hash.data());
  // IH(salt, x, k) = H(IH(salt, x, k-1) || salt); hashing into the same buffer is fine,
  // EVP_DigestUpdate has consumed the input before EVP_DigestFinal_ex writes it.
  for (unsigned k = 1; ok && k <= iterations; ++k) {
    ok = hash_two(ctx.get(), md, hash, salt, hash.data());
  }
  if (!ok) {
    ERR_clear_error();
    return std::nullopt;
  }
  return hash;
}

}  // namespace dnsp::crypto
