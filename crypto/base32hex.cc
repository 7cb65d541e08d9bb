#include "crypto/base32hex.h"

namespace dnsp::crypto {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuv";

// The 5-bit value of `c`, or -1 outside the alphabet.
int value_of(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  if (c >= 'A' && c <= 'V') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string base32hex_encode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;  // pending bits, at most 12 of them
  int bits = 0;
  for (uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(buffer >> bits) & 0x1f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

std::optional<std::vector<uint8_t>> base32hex_decode(std::string_view text) {
  // RFC 4648 §6: a final quantum of 1, 3 or 6 characters cannot come from whole octets.
  const size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value_of(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // canonical: unused bits zero
  return out;
}

}  // namespace dnsp::crypto
