// Base 64, RFC 4648 §4, for the presentation form of DNSKEY public keys and RRSIG
// signatures (RFC 4034 §2.2, §3.2) in zone files, trust anchor files and the RFC 5011 state
// file.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dnsp::crypto {

// Decodes `text`, skipping spaces, tabs and line breaks (zone files split long keys across
// lines). Padding with '=' must complete the last 4-character group. nullopt for any other
// character, a group left incomplete, data after padding, or non-zero unused bits.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

// Encodes `data` on one line, padded with '=' (base64_decode reads it back).
std::string base64_encode(std::span<const uint8_t> data);

}  // namespace dnsp::crypto
