// tests/resolver: Name — presentation format (RFC 1035 §5.1), limits (RFC 1035 §2.3.4),
// case-insensitive equality (RFC 4343) and the canonical order (RFC 4034 §6.1).
#include "resolver/wire/name.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

std::string repeat(char c, size_t n) { return std::string(n, c); }

// Three labels of 63 octets and one of `last` octets: 3 * 64 + 1 + last + 1 wire octets.
std::string long_name(size_t last) {
  return repeat('a', 63) + "." + repeat('b', 63) + "." + repeat('c', 63) + "." + repeat('d', last);
}

TEST_CASE("name: from_text gives the same wire form with and without a trailing dot") {
  const Bytes expected = Wire().name("www.example.com").bytes();
  auto relative = Name::from_text("www.example.com");
  auto absolute = Name::from_text("www.example.com.");
  REQUIRE(relative.has_value());
  REQUIRE(absolute.has_value());
  CHECK(wire_of(*relative) == expected);
  CHECK(wire_of(*absolute) == expected);
  CHECK(relative->wire_size() == 17);
}

TEST_CASE("name: \".\" and the empty text are the root") {
  for (const char* text : {".", ""}) {
    CAPTURE(text);
    auto n = Name::from_text(text);
    REQUIRE(n.has_value());
    CHECK(n->is_root());
    CHECK(wire_of(*n) == Bytes{0});
    CHECK(n->label_count() == 0);
    CHECK(n->to_string() == ".");
    CHECK(*n == Name::root());
  }
  CHECK(Name().is_root());
}

TEST_CASE("name: a backslash-dot is an octet of the label, not a separator") {
  const Name n = name("a\\.b.example");
  CHECK(n.label_count() == 2);
  CHECK(to_bytes(n.first_label()) == to_bytes("a.b"));
  CHECK(wire_of(n) == Wire().label("a.b").name("example").bytes());
}

TEST_CASE("name: a \\DDD escape is the octet with that decimal value") {
  const Name n = name("\\065bc.ex\\097mple");
  CHECK(wire_of(n) == Wire().name("Abc.example").bytes());
  CHECK(wire_of(name("\\000.x")) == Bytes{1, 0, 1, 'x', 0});
  CHECK(wire_of(name("\\255.x")) == Bytes{1, 255, 1, 'x', 0});
}

TEST_CASE("name: malformed escapes are BadLabel") {
  for (const char* text : {"a\\", "\\25", "\\2", "\\256.x", "\\1x3.x", "x.\\99"}) {
    CAPTURE(text);
    auto n = Name::from_text(text);
    REQUIRE_FALSE(n.has_value());
    CHECK(n.error() == WireError::BadLabel);
  }
}

TEST_CASE("name: an empty label is BadLabel") {
  for (const char* text : {"a..b", ".a", "..", "a..", "..a"}) {
    CAPTURE(text);
    auto n = Name::from_text(text);
    REQUIRE_FALSE(n.has_value());
    CHECK(n.error() == WireError::BadLabel);
  }
}

TEST_CASE("name: a label of 63 octets is accepted") {
  auto n = Name::from_text(repeat('x', 63) + ".example");
  REQUIRE(n.has_value());
  CHECK(n->first_label().size() == 63);
  CHECK(n->label_count() == 2);
}

TEST_CASE("name: a label of 64 octets is BadLabel") {
  for (const std::string& text :
       {repeat('x', 64) + ".example", "example." + repeat('x', 64), repeat('x', 64)}) {
    auto n = Name::from_text(text);
    REQUIRE_FALSE(n.has_value());
    CHECK(n.error() == WireError::BadLabel);
  }
}

TEST_CASE("name: a name of 255 octets is accepted, with or without the trailing dot") {
  for (const std::string& text : {long_name(61), long_name(61) + "."}) {
    auto n = Name::from_text(text);
    REQUIRE(n.has_value());
    CHECK(n->wire_size() == 255);
    CHECK(n->label_count() == 4);
    CHECK(n->wire()[254] == 0);
    CHECK(n->to_string() == long_name(61) + ".");
  }
}

TEST_CASE("name: a name of 256 octets is NameTooLong, with or without the trailing dot") {
  for (const std::string& text : {long_name(62), long_name(62) + ".", long_name(61) + ".e"}) {
    auto n = Name::from_text(text);
    REQUIRE_FALSE(n.has_value());
    CHECK(n.error() == WireError::NameTooLong);
  }
}

TEST_CASE("name: to_string escapes special and non-printable octets and round-trips") {
  const Name n = name("a\\.b\\\\c\\032d\\200\\(\\;.Example.COM");
  const std::string text = n.to_string();
  CHECK(text == "a\\.b\\\\c\\032d\\200\\(\\;.Example.COM.");
  auto again = Name::from_text(text);
  REQUIRE(again.has_value());
  CHECK(wire_of(*again) == wire_of(n));  // the very same octets, case included
}

TEST_CASE("name: to_string keeps the case of the text") {
  CHECK(name("WwW.Example.com").to_string() == "WwW.Example.com.");
}

TEST_CASE("name: == ignores ASCII case") {
  CHECK(name("WWW.Example.COM") == name("www.example.com"));
  CHECK(name("www.example.com.") == name("www.example.com"));
  CHECK_FALSE(name("www.example.com") == name("www.example.org"));
  CHECK_FALSE(name("www.example.com") == name("example.com"));
  CHECK_FALSE(name("ab.c") == name("a.bc"));
}

TEST_CASE("name: == folds only ASCII letters") {
  // RFC 4343 §3: \192 (0xC0) and \224 (0xE0) differ by 0x20 like Latin-1 letters, but
  // only ASCII letters are folded.
  CHECK_FALSE(name("\\192.x") == name("\\224.x"));
  CHECK_FALSE(name("[.x") == name("{.x"));  // 0x5B vs 0x7B: differ by 0x20, not letters
}

TEST_CASE("name: canonical_compare orders the RFC 4034 §6.1 example list") {
  const std::vector<std::string> order = {
      "example",   "a.example",       "yljkjljk.a.example", "Z.a.example",     "zABC.a.EXAMPLE",
      "z.example", "\\001.z.example", "*.z.example",        "\\200.z.example",
  };
  std::vector<Name> names;
  for (const auto& text : order) names.push_back(name(text));
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t j = 0; j < names.size(); ++j) {
      CAPTURE(order[i]);
      CAPTURE(order[j]);
      CHECK((canonical_compare(names[i], names[j]) < 0) == (i < j));
      CHECK((canonical_compare(names[i], names[j]) == 0) == (i == j));
    }
  }
  std::vector<Name> shuffled = names;
  std::mt19937 rng(4034);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::sort(shuffled.begin(), shuffled.end(),
            [](const Name& a, const Name& b) { return canonical_compare(a, b) < 0; });
  for (size_t i = 0; i < names.size(); ++i) CHECK(wire_of(shuffled[i]) == wire_of(names[i]));
}

TEST_CASE("name: canonical_compare treats names differing only in case as equal") {
  CHECK(canonical_compare(name("Example.COM"), name("example.com")) == 0);
  CHECK(canonical_compare(Name::root(), name("com")) < 0);
  CHECK(canonical_compare(name("com"), Name::root()) > 0);
}

TEST_CASE("name: parent removes the first label and the root's parent is the root") {
  CHECK(wire_of(name("www.Example.com").parent()) == wire_of(name("Example.com")));
  CHECK(name("com").parent().is_root());
  CHECK(Name::root().parent().is_root());
}

TEST_CASE("name: suffix keeps the last labels") {
  const Name n = name("a.b.c.example");
  CHECK(wire_of(n.suffix(1)) == wire_of(name("example")));
  CHECK(wire_of(n.suffix(2)) == wire_of(name("c.example")));
  CHECK(wire_of(n.suffix(4)) == wire_of(n));
  CHECK(wire_of(n.suffix(9)) == wire_of(n));
}

TEST_CASE("name: suffix(0) is the root") {
  CHECK(name("a.b.c.example").suffix(0).is_root());
  CHECK(name(long_name(61)).suffix(0).is_root());
  CHECK(Name::root().suffix(0).is_root());
}

TEST_CASE("name: prepend adds a label in front") {
  const Bytes www = to_bytes("www");
  auto n = name("example.com").prepend(www);
  REQUIRE(n.has_value());
  CHECK(wire_of(*n) == wire_of(name("www.example.com")));
  auto top = Name::root().prepend(to_bytes("com"));
  REQUIRE(top.has_value());
  CHECK(wire_of(*top) == wire_of(name("com")));
}

TEST_CASE("name: prepend rejects an empty or 64-octet label and a result over 255 octets") {
  auto empty = name("example").prepend({});
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error() == WireError::BadLabel);

  auto long_label = name("example").prepend(to_bytes(repeat('x', 64)));
  REQUIRE_FALSE(long_label.has_value());
  CHECK(long_label.error() == WireError::BadLabel);

  const Name base = name(long_name(59));  // 253 octets
  auto fits = base.prepend(to_bytes("x"));
  REQUIRE(fits.has_value());
  CHECK(fits->wire_size() == 255);
  auto too_long = base.prepend(to_bytes("xy"));
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error() == WireError::NameTooLong);
}

TEST_CASE("name: is_subdomain_of holds for the name itself, its ancestors and the root") {
  const Name n = name("www.Example.com");
  CHECK(n.is_subdomain_of(name("www.example.COM")));
  CHECK(n.is_subdomain_of(name("example.com")));
  CHECK(n.is_subdomain_of(name("com")));
  CHECK(n.is_subdomain_of(Name::root()));
  CHECK(Name::root().is_subdomain_of(Name::root()));
}

TEST_CASE("name: is_subdomain_of respects label boundaries") {
  CHECK_FALSE(name("www.example.com").is_subdomain_of(name("ample.com")));
  CHECK_FALSE(name("wwwexample.com").is_subdomain_of(name("example.com")));
  CHECK_FALSE(name("example.com").is_subdomain_of(name("www.example.com")));
  CHECK_FALSE(name("example.com").is_subdomain_of(name("example.org")));
  CHECK_FALSE(Name::root().is_subdomain_of(name("com")));
}

TEST_CASE("name: label_count does not count the root label") {
  CHECK(Name::root().label_count() == 0);
  CHECK(name("com").label_count() == 1);
  CHECK(name("a.b.").label_count() == 2);
  CHECK(name("*.a.b.c").label_count() == 4);
}

TEST_CASE("name: is_wildcard only when the first label is exactly *") {
  CHECK(name("*.example.com").is_wildcard());
  CHECK(name("*").is_wildcard());
  CHECK_FALSE(name("a*.example.com").is_wildcard());
  CHECK_FALSE(name("*a.example.com").is_wildcard());
  CHECK_FALSE(name("a.*.example.com").is_wildcard());
  CHECK_FALSE(Name::root().is_wildcard());
}

TEST_CASE("name: lowercased folds ASCII letters only") {
  const Name n = name("WwW.ExAMPLE.\\200\\193Z");
  CHECK(wire_of(n.lowercased()) == wire_of(name("www.example.\\200\\193z")));
  CHECK(n.lowercased() == n);
}

TEST_CASE("name: hash is equal for names differing in case") {
  CHECK(name("WWW.Example.COM").hash() == name("www.example.com").hash());
  CHECK(NameHash{}(name("A.B")) == NameHash{}(name("a.b")));
  std::unordered_set<Name, NameHash> set;
  set.insert(name("Example.com"));
  CHECK(set.count(name("eXAMPLE.COM.")) == 1);
  CHECK(set.count(name("example.org")) == 0);
}

TEST_CASE("name: from_wire accepts an uncompressed name") {
  const Bytes wire = Wire().name("www.example.com").bytes();
  auto n = Name::from_wire(wire);
  REQUIRE(n.has_value());
  CHECK(*n == name("www.example.com"));
  CHECK(wire_of(*n) == wire);
}

TEST_CASE("name: from_wire rejects truncated, oversized and over-long input") {
  auto truncated = Name::from_wire(Wire().labels("www.example").bytes());  // no root label
  REQUIRE_FALSE(truncated.has_value());
  CHECK(truncated.error() == WireError::Truncated);

  auto empty = Name::from_wire({});
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error() == WireError::Truncated);

  auto pointer = Name::from_wire(Bytes{0xC0, 0x00});
  REQUIRE_FALSE(pointer.has_value());
  CHECK(pointer.error() == WireError::BadLabel);

  auto trailing = Name::from_wire(Wire().name("example").u8(1).bytes());
  REQUIRE_FALSE(trailing.has_value());
  CHECK(trailing.error() == WireError::BadRdata);

  Wire too_long;
  too_long.labels(long_name(62)).root();  // 256 octets
  auto n = Name::from_wire(too_long.bytes());
  REQUIRE_FALSE(n.has_value());
  CHECK(n.error() == WireError::NameTooLong);
}

TEST_CASE(
    "name: substitute_suffix keeps the labels before the DNAME owner in order (RFC 6672 §2.2)") {
  const auto n = [](const char* t) { return *Name::from_text(t); };
  CHECK(n("a.b.x.example.").substitute_suffix(n("x.example."), n("y.test."))->to_string() ==
        "a.b.y.test.");
  CHECK(n("a.x.x.").substitute_suffix(n("x."), n("."))->to_string() == "a.x.");
  CHECK(n("www.x.").substitute_suffix(n("x."), n("x."))->to_string() == "www.x.");
  // 63-octet labels: the result would pass 255 octets.
  const std::string l63(63, 'a');
  const Name long_owner = n((l63 + "." + l63 + "." + l63 + ".x.").c_str());
  CHECK_FALSE(long_owner.substitute_suffix(n("x."), n((l63 + ".t.").c_str())).has_value());
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
