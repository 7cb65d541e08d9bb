// Extended DNS Errors (RFC 8914): the info codes and the EDNS option that carries them.
// ede_code(Reason) (added with the validator) maps validation reasons onto these codes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dnsp::resolver {

inline constexpr uint16_t kEdnsOptionEde = 15;  // RFC 8914 §2

enum class EdeCode : uint16_t {
  Other = 0,
  UnsupportedDnskeyAlgorithm = 1,
  UnsupportedDsDigestType = 2,
  StaleAnswer = 3,
  ForgedAnswer = 4,
  DnssecIndeterminate = 5,
  DnssecBogus = 6,
  SignatureExpired = 7,
  SignatureNotYetValid = 8,
  DnskeyMissing = 9,
  RrsigsMissing = 10,
  NoZoneKeyBitSet = 11,
  NsecMissing = 12,
  CachedError = 13,
  NotReady = 14,
  Blocked = 15,
  Censored = 16,
  Filtered = 17,
  Prohibited = 18,
  StaleNxdomainAnswer = 19,
  NotAuthoritative = 20,
  NotSupported = 21,
  NoReachableAuthority = 22,
  NetworkError = 23,
  InvalidData = 24,
  UnsupportedNsec3Iterations = 27,  // RFC 9276 §3.2
};

struct ExtendedError {
  EdeCode code;
  std::string text;  // EXTRA-TEXT: UTF-8, for people (RFC 8914 §2)
};

}  // namespace dnsp::resolver
