// Test helpers for tests/resolver: DNS packets written byte by byte with Wire
// (tests/support/wire_bytes.h, so the parser is tested against bytes no code of ours
// produced), names from text, and doctest printers for the resolver's enums.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"
#include "resolver/wire/wire_error.h"
#include "tests/support/wire_bytes.h"

// Own namespace, apart from the helpers of the validator tests in dnsp::resolver::test.
namespace dnsp::resolver::wire_test {

using ::dnsp::test::Bytes;
using ::dnsp::test::hex;
using ::dnsp::test::Wire;

inline Name name(std::string_view text) {
  auto n = Name::from_text(text);
  REQUIRE_MESSAGE(n.has_value(), "bad name in test: " << std::string(text));
  return *n;
}

inline Bytes wire_of(const Name& n) { return Bytes(n.wire().begin(), n.wire().end()); }

inline Bytes to_bytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

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
