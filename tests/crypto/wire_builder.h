// Test helper for tests/crypto: writes the DNS wire bytes of the RFC examples by hand
// (names, integers, RRSIG RDATA, canonical RRs per RFC 4034 §3.1.8.1 and §6.2), so the
// crypto tests need no resolver code. Names must already be in canonical (lowercase) form.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/base64.h"

namespace dnsp::crypto::test {

using Bytes = std::vector<uint8_t>;

// Bytes from base64 text as printed in an RFC (spaces allowed).
inline Bytes b64(std::string_view text) {
  auto decoded = base64_decode(text);
  REQUIRE_MESSAGE(decoded.has_value(), "bad base64 in test vector: " << text);
  return *decoded;
}

// Bytes from hex text (spaces allowed).
inline Bytes hex(std::string_view text) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      REQUIRE_MESSAGE(c == ' ', "bad hex in test vector: " << text);
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  REQUIRE_MESSAGE(high < 0, "odd-length hex in test vector: " << text);
  return out;
}

inline std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
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

class Wire {
 public:
  // "www.example.net." (or without the final dot) -> 3www7example3net0
  Wire& name(std::string_view dotted) {
    while (!dotted.empty() && dotted != ".") {
      const size_t dot = dotted.find('.');
      const std::string_view label = dotted.substr(0, dot);
      REQUIRE((!label.empty() && label.size() <= 63));
      bytes_.push_back(static_cast<uint8_t>(label.size()));
      bytes_.insert(bytes_.end(), label.begin(), label.end());
      dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    bytes_.push_back(0);
    return *this;
  }
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
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeMx = 15;
constexpr uint16_t kTypeDnskey = 48;
constexpr uint16_t kTypeNsec3param = 51;
constexpr uint16_t kClassIn = 1;

// The RRSIG RDATA fields before the signature (RFC 4034 §3.1).
struct RrsigFields {
  uint16_t type_covered;
  uint8_t algorithm;
  uint8_t labels;
  uint32_t original_ttl;
  std::string_view expiration;  // YYYYMMDDHHmmSS
  std::string_view inception;
  uint16_t key_tag;
  std::string_view signer;
};

// RFC 4034 §3.1.8.1: signature = sign(RRSIG_RDATA | RR(1) | RR(2)...), where RRSIG_RDATA
// excludes the Signature field and each RR is owner | type | class | original TTL |
// RDATA length | RDATA. These examples sign single-RR RRsets, so no sorting is needed.
inline Bytes signed_data(const RrsigFields& sig, std::string_view owner,
                         std::span<const uint8_t> rdata) {
  Wire w;
  w.u16(sig.type_covered).u8(sig.algorithm).u8(sig.labels).u32(sig.original_ttl);
  w.u32(rrsig_time(sig.expiration)).u32(rrsig_time(sig.inception)).u16(sig.key_tag);
  w.name(sig.signer);
  w.name(owner).u16(sig.type_covered).u16(kClassIn).u32(sig.original_ttl);
  w.u16(static_cast<uint16_t>(rdata.size())).raw(rdata);
  return w.bytes();
}

// DNSKEY RDATA (RFC 4034 §2.1): flags | protocol 3 | algorithm | public key.
inline Bytes dnskey_rdata(uint16_t flags, uint8_t algorithm, std::span<const uint8_t> key) {
  return Wire().u16(flags).u8(3).u8(algorithm).raw(key).bytes();
}

}  // namespace dnsp::crypto::test
