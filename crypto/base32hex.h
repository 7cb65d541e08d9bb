// Base 32 with the extended hex alphabet ("0-9a-v"), RFC 4648 §7, without padding: the form
// of NSEC3 hashed owner labels and of the Next Hashed Owner Name in presentation (RFC 5155 §3.3).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dnsp::crypto {

// Lowercase, unpadded: 20 octets of SHA-1 become a 32-character label.
std::string base32hex_encode(std::span<const uint8_t> data);

// Accepts either case, no padding and no whitespace. nullopt for a character outside the
// alphabet, a length no encoding produces (1, 3 or 6 modulo 8), or non-zero unused bits.
std::optional<std::vector<uint8_t>> base32hex_decode(std::string_view text);

}  // namespace dnsp::crypto
