#include "crypto/base64.h"

#include <algorithm>

namespace dnsp::crypto {
namespace {

// The 6-bit value of `c`, or -1 outside the alphabet.
int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  uint32_t buffer = 0;
  int bits = 0;
  size_t chars = 0;    // alphabet and '=' characters seen
  size_t padding = 0;  // '=' characters seen
  for (char c : text) {
    if (is_space(c)) continue;
    ++chars;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int v = value_of(c);
    if (v < 0 || padding > 0) return std::nullopt;  // not base64, or data after '='
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  // Whole groups of 4; at most "==", and only where octets ended mid-group.
  if (chars % 4 != 0 || padding > 2 || padding * 2 != static_cast<size_t>(bits)) {
    return std::nullopt;
  }
  if (buffer != 0) return std::nullopt;  // canonical: unused bits zero
  return out;
}

std::string base64_encode(std::span<const uint8_t> data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    const size_t n = std::min<size_t>(3, data.size() - i);
    uint32_t group = uint32_t{data[i]} << 16;
    if (n > 1) group |= uint32_t{data[i + 1]} << 8;
    if (n > 2) group |= data[i + 2];
    for (size_t k = 0; k < 4; ++k) {
      out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

}  // namespace dnsp::crypto
