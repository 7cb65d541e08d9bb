// Test helper for tests/crypto and tests/resolver: DNS wire bytes written by hand (RFC 1035
// §4.1: header, names, compression pointers, records; RFC 6891 OPT), so parsers and the
// crypto code are tested against bytes none of the proxy's code produced; and bytes from
// hex, base64 and RRSIG times as the RFCs print them. Uses crypto/ (base64) and nothing of
// resolver/: RR types and classes are passed as numbers or as any 16-bit enum.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/base64.h"

namespace dnsp::test {

using Bytes = std::vector<uint8_t>;

// Bytes under construction: every call appends, `size()` is the offset of what comes next
// (to aim compression pointers at it).
class Wire {
 public:
  Wire& u8(uint8_t v) {
    bytes_.push_back(v);
    return *this;
  }
  Wire& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Wire& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  Wire& raw(std::span<const uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return *this;
  }
  Wire& raw(std::initializer_list<uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return *this;
  }
  // The 12-octet header (RFC 1035 §4.1.1).
  Wire& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  // One label, length octet first, unchecked (tests of the parser write bad ones on purpose).
  Wire& label(std::string_view text) {
    u8(static_cast<uint8_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  // Labels of dotted text (no escapes), unchecked, without the root label: follow with ptr()
  // or root().
  Wire& labels(std::string_view dotted) {
    while (!dotted.empty()) {
      const size_t dot = dotted.find('.');
      label(dotted.substr(0, dot));
      dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
    }
    return *this;
  }
  Wire& root() { return u8(0); }
  // An uncompressed name as written (case kept): "www.example.net." (or without the final
  // dot) -> 3www7example3net0; "." is the root. Each label must be 1 to 63 octets.
  Wire& name(std::string_view dotted) {
    if (dotted == ".") return root();
    for (std::string_view rest = dotted; !rest.empty();) {
      const size_t dot = rest.find('.');
      const std::string_view text = rest.substr(0, dot);
      if (text.empty() || text.size() > 63) FAIL("bad label in test name: " << std::string(dotted));
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    }
    return labels(dotted).root();
  }
  // A compression pointer (RFC 1035 §4.1.4).
  Wire& ptr(uint16_t offset) { return u16(static_cast<uint16_t>(0xC000 | offset)); }
  // TYPE, CLASS, TTL of a record (resolver's RRType and RRClass, or numbers); follow with
  // rdata() or begin_rdata().
  template <class Type, class Class>
  Wire& rr_fixed(Type type, Class klass, uint32_t ttl) {
    return u16(static_cast<uint16_t>(type)).u16(static_cast<uint16_t>(klass)).u32(ttl);
  }
  // RDLENGTH followed by `data`.
  Wire& rdata(std::span<const uint8_t> data) {
    return u16(static_cast<uint16_t>(data.size())).raw(data);
  }
  // An OPT pseudo-record (RFC 6891 §6.1.2): root owner, TYPE 41, CLASS = UDP payload, TTL =
  // extended rcode | version | flags, RDATA = the options.
  Wire& opt(uint16_t payload, uint8_t extended_rcode, uint8_t version, uint16_t flags,
            std::span<const uint8_t> options = {}) {
    constexpr uint16_t kTypeOpt = 41;
    root().u16(kTypeOpt).u16(payload).u8(extended_rcode).u8(version).u16(flags);
    return rdata(options);
  }
  // For RDATA written piece by piece: begin_rdata() writes a placeholder RDLENGTH and
  // returns its offset; end_rdata(offset) fills in the length of what followed it.
  size_t begin_rdata() {
    const size_t at = size();
    u16(0);
    return at;
  }
  Wire& end_rdata(size_t at) { return patch_u16(at, static_cast<uint16_t>(size() - at - 2)); }
  // Overwrites the 16-bit value at `offset`.
  Wire& patch_u16(size_t offset, uint16_t v) {
    bytes_.at(offset) = static_cast<uint8_t>(v >> 8);
    bytes_.at(offset + 1) = static_cast<uint8_t>(v);
    return *this;
  }

  size_t size() const { return bytes_.size(); }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

// Bytes from hex text (spaces allowed).
inline Bytes hex(std::string_view text) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      REQUIRE_MESSAGE(c == ' ', "bad hex in test: " << std::string(text));
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  REQUIRE_MESSAGE(high < 0, "odd-length hex in test: " << std::string(text));
  return out;
}

// Lowercase hex of `bytes`, no spaces.
inline std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// Bytes from base64 text as printed in an RFC (spaces allowed).
inline Bytes b64(std::string_view text) {
  auto decoded = crypto::base64_decode(text);
  REQUIRE_MESSAGE(decoded.has_value(), "bad base64 in test: " << std::string(text));
  return *decoded;
}

// RRSIG presentation time "YYYYMMDDHHmmSS" (RFC 4034 §3.2) as seconds since the epoch.
inline uint32_t rrsig_time(std::string_view t) {
  REQUIRE(t.size() == 14);
  auto num = [&](size_t pos, size_t len) { return std::stoi(std::string(t.substr(pos, len))); };
  using namespace std::chrono;
  const sys_days day =
      year{num(0, 4)} / month(static_cast<unsigned>(num(4, 2))) / static_cast<unsigned>(num(6, 2));
  const auto seconds = day.time_since_epoch() + hours{num(8, 2)} + minutes{num(10, 2)} +
                       std::chrono::seconds{num(12, 2)};
  return static_cast<uint32_t>(duration_cast<std::chrono::seconds>(seconds).count());
}

}  // namespace dnsp::test
