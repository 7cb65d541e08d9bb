// DNSSEC algorithm and DS digest type numbers, and which of them this validator implements.
// RFC 8624 §3.1 (DNSKEY/RRSIG algorithms) and §3.3 (DS digest types), mnemonics as in the
// IANA "DNS Security Algorithm Numbers" and "DS RR Type Digest Algorithms" registries.
#pragma once

#include <cstdint>
#include <string>

namespace dnsp::crypto {

// The algorithms we validate. Values are the wire numbers of the DNSKEY/RRSIG Algorithm field.
enum class Algorithm : uint8_t {
  RsaSha1 = 5,           // RFC 3110
  RsaSha1Nsec3Sha1 = 7,  // RFC 5155 §2: an alias of 5 that signals NSEC3 use
  RsaSha256 = 8,         // RFC 5702
  RsaSha512 = 10,        // RFC 5702
  EcdsaP256Sha256 = 13,  // RFC 6605
  EcdsaP384Sha384 = 14,  // RFC 6605
  Ed25519 = 15,          // RFC 8080
  Ed448 = 16,            // RFC 8080
};

// The DS digest types we compute. Values are the wire numbers of the DS Digest Type field.
enum class DigestType : uint8_t {
  Sha1 = 1,    // RFC 4034 §5.1.4
  Sha256 = 2,  // RFC 4509
  Sha384 = 4,  // RFC 6605
};

// True for the algorithms listed in `Algorithm`. Anything else (RSAMD5, DSA, ECC-GOST,
// private algorithms, unassigned numbers) is unsupported: per RFC 4035 §5.2 a zone signed
// only with unsupported algorithms is treated as insecure, never as bogus.
bool algorithm_supported(uint8_t algorithm);

// IANA mnemonic ("RSASHA256", "ECDSAP256SHA256", "DSA", ...), also for assigned numbers we
// do not implement; "ALG<n>" for unassigned ones. Meant for logs and EDE text.
std::string algorithm_name(uint8_t algorithm);

// True for the digest types listed in `DigestType`. GOST R 34.11-94 (3) and unassigned
// numbers are unsupported: RFC 4035 §5.2 treats such a DS as if it were absent.
bool digest_supported(uint8_t digest_type);

// IANA mnemonic ("SHA-1", "SHA-256", "GOST R 34.11-94", "SHA-384"); "DIGEST<n>" otherwise.
std::string digest_name(uint8_t digest_type);

}  // namespace dnsp::crypto
