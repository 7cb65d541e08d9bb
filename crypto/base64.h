// Base 64 decoding, RFC 4648 §4, for the presentation form of DNSKEY public keys and RRSIG
// signatures (RFC 4034 §2.2, §3.2) in zone files and trust anchor files.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace dnsp::crypto {

// Decodes `text`, skipping spaces, tabs and line breaks (zone files split long keys across
// lines). Padding with '=' must complete the last 4-character group. nullopt for any other
// character, a group left incomplete, data after padding, or non-zero unused bits.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace dnsp::crypto
