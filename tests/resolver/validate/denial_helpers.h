// Test helpers shared by nsec_test and nsec3_test (RFC 4035 §5.4, RFC 5155 §8): names from
// text, type bitmaps, the example. zone both RFC appendices use, and the check of a
// DenialResult's kind and closest encloser.
#pragma once

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/validate/denial.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"
#include "tests/resolver/test_signer.h"

namespace doctest {
template <>
struct StringMaker<dnsp::resolver::DenialKind> {
  static String convert(dnsp::resolver::DenialKind k) {
    return String(std::string(dnsp::resolver::to_string(k)).c_str());
  }
};
}  // namespace doctest

// Own namespace, apart from the helpers of the other resolver tests in dnsp::resolver::test.
namespace dnsp::resolver::denial_test {

inline Name name(std::string_view text) {
  auto n = Name::from_text(text);
  REQUIRE_MESSAGE(n.has_value(), "bad name in test: " << std::string(text));
  return *n;
}

// RFC 4034 §4.1.2: windows of up to 32 octets, one bit per type.
inline std::vector<uint8_t> bitmap(std::initializer_list<RRType> types) {
  return test::type_bitmap(types);
}

// The zone of RFC 4035 Appendix A and RFC 5155 Appendix A.
inline const Name& zone() {
  static const Name z = name("example.");
  return z;
}

inline void expect(const DenialResult& r, DenialKind kind, std::string_view closest_encloser) {
  INFO("detail: " << r.detail);
  INFO("closest encloser: " << r.closest_encloser.to_string());
  CHECK(r.kind == kind);
  CHECK(r.closest_encloser == name(closest_encloser));  // case-insensitive
  CHECK_FALSE(r.detail.empty());
}

}  // namespace dnsp::resolver::denial_test
