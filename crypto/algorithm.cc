#include "crypto/algorithm.h"

#include <string_view>

namespace dnsp::crypto {
namespace {

struct Mnemonic {
  uint8_t number;
  std::string_view name;
};

// IANA "DNS Security Algorithm Numbers": every assigned number with a mnemonic.
constexpr Mnemonic kAlgorithmNames[] = {
    {1, "RSAMD5"},
    {2, "DH"},
    {3, "DSA"},
    {5, "RSASHA1"},
    {6, "DSA-NSEC3-SHA1"},
    {7, "RSASHA1-NSEC3-SHA1"},
    {8, "RSASHA256"},
    {10, "RSASHA512"},
    {12, "ECC-GOST"},
    {13, "ECDSAP256SHA256"},
    {14, "ECDSAP384SHA384"},
    {15, "ED25519"},
    {16, "ED448"},
    {252, "INDIRECT"},
    {253, "PRIVATEDNS"},
    {254, "PRIVATEOID"},
};

// IANA "DS RR Type Digest Algorithms".
constexpr Mnemonic kDigestNames[] = {
    {1, "SHA-1"},
    {2, "SHA-256"},
    {3, "GOST R 34.11-94"},
    {4, "SHA-384"},
};

template <size_t N>
std::string name_or(const Mnemonic (&table)[N], uint8_t number, std::string_view prefix) {
  for (const Mnemonic& m : table) {
    if (m.number == number) return std::string(m.name);
  }
  return std::string(prefix) + std::to_string(number);
}

}  // namespace

bool algorithm_supported(uint8_t algorithm) {
  switch (static_cast<Algorithm>(algorithm)) {
    case Algorithm::RsaSha1:
    case Algorithm::RsaSha1Nsec3Sha1:
    case Algorithm::RsaSha256:
    case Algorithm::RsaSha512:
    case Algorithm::EcdsaP256Sha256:
    case Algorithm::EcdsaP384Sha384:
    case Algorithm::Ed25519:
    case Algorithm::Ed448:
      return true;
  }
  return false;
}

std::string algorithm_name(uint8_t algorithm) { return name_or(kAlgorithmNames, algorithm, "ALG"); }

bool digest_supported(uint8_t digest_type) {
  switch (static_cast<DigestType>(digest_type)) {
    case DigestType::Sha1:
    case DigestType::Sha256:
    case DigestType::Sha384:
      return true;
  }
  return false;
}

std::string digest_name(uint8_t digest_type) {
  return name_or(kDigestNames, digest_type, "DIGEST");
}

}  // namespace dnsp::crypto
