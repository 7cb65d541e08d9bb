// Test helpers for tests/resolver: DNS packets written byte by byte (so the parser is
// tested against bytes no code of ours produced), names from text, and doctest printers
// for the resolver's enums.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"
#include "resolver/wire/wire_error.h"

// Own namespace, apart from the helpers of the validator tests in dnsp::resolver::test.
namespace dnsp::resolver::wire_test {

using Bytes = std::vector<uint8_t>;

// A packet under construction: every call appends, `size()` is the offset of what comes
// next (to aim compression pointers at it).
class Packet {
 public:
  Packet& u8(uint8_t v) {
    bytes_.push_back(v);
    return *this;
  }
  Packet& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Packet& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  Packet& raw(std::span<const uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return *this;
  }
  Packet& raw(std::initializer_list<uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return *this;
  }
  // The 12-octet header (RFC 1035 §4.1.1).
  Packet& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  // One label, length octet first.
  Packet& label(std::string_view text) {
    u8(static_cast<uint8_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  // Labels of dotted text (no escapes), without the root label: follow with ptr() or root().
  Packet& labels(std::string_view dotted) {
    while (!dotted.empty()) {
      const size_t dot = dotted.find('.');
      label(dotted.substr(0, dot));
      dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
    }
    return *this;
  }
  Packet& root() { return u8(0); }
  // An uncompressed name: labels then the root label.
  Packet& name(std::string_view dotted) { return labels(dotted).root(); }
  // A compression pointer (RFC 1035 §4.1.4).
  Packet& ptr(uint16_t offset) { return u16(static_cast<uint16_t>(0xC000 | offset)); }
  // TYPE, CLASS, TTL of a record; follow with rdlength() or rdata().
  Packet& rr_fixed(RRType type, RRClass klass, uint32_t ttl) {
    return u16(to_u16(type)).u16(to_u16(klass)).u32(ttl);
  }
  // RDLENGTH followed by `data`.
  Packet& rdata(std::span<const uint8_t> data) {
    return u16(static_cast<uint16_t>(data.size())).raw(data);
  }
  // An OPT pseudo-record (RFC 6891 §6.1.2): root owner, CLASS = UDP payload, TTL =
  // extended rcode | version | flags, RDATA = the options.
  Packet& opt(uint16_t payload, uint8_t extended_rcode, uint8_t version, uint16_t flags,
              std::span<const uint8_t> options = {}) {
    root().u16(to_u16(RRType::OPT)).u16(payload).u8(extended_rcode).u8(version).u16(flags);
    return rdata(options);
  }
  // For RDATA written piece by piece: begin_rdata() writes a placeholder RDLENGTH and
  // returns its offset; end_rdata(offset) fills in the length of what followed it.
  size_t begin_rdata() {
    const size_t at = size();
    u16(0);
    return at;
  }
  Packet& end_rdata(size_t at) { return patch_u16(at, static_cast<uint16_t>(size() - at - 2)); }
  // Overwrites the 16-bit value at `offset`.
  Packet& patch_u16(size_t offset, uint16_t v) {
    bytes_.at(offset) = static_cast<uint8_t>(v >> 8);
    bytes_.at(offset + 1) = static_cast<uint8_t>(v);
    return *this;
  }

  size_t size() const { return bytes_.size(); }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

inline Name name(std::string_view text) {
  auto n = Name::from_text(text);
  REQUIRE_MESSAGE(n.has_value(), "bad name in test: " << std::string(text));
  return *n;
}

inline Bytes wire_of(const Name& n) { return Bytes(n.wire().begin(), n.wire().end()); }

inline Bytes to_bytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

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

// Parses `packet` and requires success (the packet must outlive the message).
inline Message parsed(std::span<const uint8_t> packet) {
  auto m = Message::parse(packet);
  REQUIRE_MESSAGE(m.has_value(), "parse failed: " << std::string(to_string(m.error())));
  return *m;
}

}  // namespace dnsp::resolver::wire_test

// doctest prints enums as numbers unless toString() is found by argument-dependent lookup,
// so these live in the enums' namespace.
namespace dnsp::resolver {

inline doctest::String toString(WireError e) { return std::string(to_string(e)).c_str(); }
inline doctest::String toString(RRType t) { return to_string(t).c_str(); }
inline doctest::String toString(RRClass c) { return to_string(c).c_str(); }
inline doctest::String toString(RCode r) { return to_string(r).c_str(); }
inline doctest::String toString(Section s) {
  switch (s) {
    case Section::Answer:
      return "Answer";
    case Section::Authority:
      return "Authority";
    case Section::Additional:
      return "Additional";
  }
  return "Section?";
}

}  // namespace dnsp::resolver

namespace doctest {

template <>
struct StringMaker<std::vector<uint8_t>> {
  static String convert(const std::vector<uint8_t>& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "[";
    for (uint8_t b : bytes) {
      if (out.size() > 1) out += ' ';
      out += kDigits[b >> 4];
      out += kDigits[b & 0xF];
    }
    out += ']';
    return String(out.c_str());
  }
};

template <>
struct StringMaker<dnsp::resolver::Name> {
  static String convert(const dnsp::resolver::Name& n) { return String(n.to_string().c_str()); }
};

}  // namespace doctest
