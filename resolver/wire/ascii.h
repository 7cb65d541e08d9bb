// ASCII-only case folding for DNS names and mnemonics (RFC 4343: DNS case-insensitivity
// applies to ASCII letters only, never to other octets).
#pragma once

#include <cstdint>
#include <string_view>

namespace dnsp::resolver {

constexpr uint8_t ascii_lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(static_cast<uint8_t>(a[i])) != ascii_lower(static_cast<uint8_t>(b[i])))
      return false;
  }
  return true;
}

}  // namespace dnsp::resolver
