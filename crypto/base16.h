// Base 16 (hex), RFC 4648 §8, uppercase as that section's alphabet: the presentation form of
// DS digests (RFC 4034 §5.3), NSEC3 salts (RFC 5155 §3.3) and unknown RDATA (RFC 3597 §5).
// The one hex encoder of the tree: resolver/anchors/ and resolver/explain/ both use it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace dnsp::crypto {

// Two uppercase digits per octet, no separators: {0x0a, 0xff} -> "0AFF".
std::string base16_encode(std::span<const uint8_t> data);

}  // namespace dnsp::crypto
