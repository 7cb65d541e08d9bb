// Hashes DNSSEC needs besides signatures: the DS digest of a DNSKEY (RFC 4034 §5.1.4,
// RFC 4509, RFC 6605 §2) and the iterated NSEC3 owner-name hash (RFC 5155 §5).
// Callers pass canonical wire bytes; this file only hashes them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dnsp::crypto {

enum class DigestStatus : uint8_t {
  Ok,
  Unsupported,  // digest_supported() is false: RFC 4035 §5.2 treats the DS as absent
  Error,        // OpenSSL failed; the DS counts as not matched
};

// digest is non-empty exactly when status == DigestStatus::Ok.
struct DigestResult {
  DigestStatus status;
  std::vector<uint8_t> digest;
};

// RFC 4034 §5.1.4: digest = digest_algorithm(DNSKEY owner name | DNSKEY RDATA), where the
// owner name is in canonical wire form (lowercase, uncompressed). `data` is that
// concatenation; the caller compares the result with the DS Digest field.
DigestResult ds_digest(uint8_t digest_type, std::span<const uint8_t> data);

// RFC 5155 §5, for hash algorithm 1 (SHA-1) only:
//   IH(salt, x, 0) = H(x || salt)
//   IH(salt, x, k) = H(IH(salt, x, k-1) || salt), if k > 0
//   hash = IH(salt, owner name, iterations)
// `owner_canonical_wire` is the owner name in canonical wire form. nullopt when the hash
// algorithm is not 1 (RFC 5155 §8.1: such NSEC3 RRs are ignored) or OpenSSL failed.
// Capping `iterations` (RFC 9276) is the caller's policy, not this function's.
std::optional<std::vector<uint8_t>> nsec3_hash(uint8_t hash_algorithm,
                                               std::span<const uint8_t> owner_canonical_wire,
                                               std::span<const uint8_t> salt, uint16_t iterations);

}  // namespace dnsp::crypto
