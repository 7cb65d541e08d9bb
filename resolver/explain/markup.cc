#include "resolver/explain/markup.h"

#include <cstdint>

namespace dnsp::resolver {
namespace {

void hex_octet(std::string& out, uint8_t c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0x0F];
}

// The length of the valid UTF-8 sequence at s[i] (RFC 3629 §4: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = at(i);
  size_t n = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::string printable_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (const size_t n = c >= 0x80 ? utf8_sequence(s, i) : 0; n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      hex_octet(out, c);
      ++i;
    }
  }
  return out;
}

namespace {

std::string escape_xml(const std::string& printable) {
  std::string out;
  for (char c : printable) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string xml_escape(std::string_view s) { return escape_xml(printable_utf8(s)); }

std::string xml_escape_lines(std::string_view s) {
  std::string out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = s.find_first_of("\n\t", start);
    out += xml_escape(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    out += s[end];
    start = end + 1;
  }
  return out;
}

std::string dot_escape(std::string_view s) {
  std::string out;
  for (char c : printable_utf8(s)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace dnsp::resolver
