// tests/crypto: base16 (RFC 4648 §8), base32hex (RFC 4648 §7, unpadded as in NSEC3) and
// base64 (RFC 4648 §4), with the RFC 4648 §10 test vectors.
#include <doctest/doctest.h>

#include <cctype>

#include "crypto/base16.h"
#include "crypto/base32hex.h"
#include "crypto/base64.h"
#include "tests/crypto/wire_builder.h"

namespace dnsp::crypto::test {
namespace {

Bytes ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("crypto: base16 encodes the RFC 4648 §10 vectors, uppercase") {
  CHECK(base16_encode(ascii("")) == "");
  CHECK(base16_encode(ascii("f")) == "66");
  CHECK(base16_encode(ascii("foobar")) == "666F6F626172");
  CHECK(base16_encode(Bytes{0x00, 0x0a, 0xff}) == "000AFF");
}

TEST_CASE("crypto: base32hex encodes the RFC 4648 §10 vectors, lowercase and unpadded") {
  CHECK(base32hex_encode(ascii("")) == "");
  CHECK(base32hex_encode(ascii("f")) == "co");
  CHECK(base32hex_encode(ascii("fo")) == "cpng");
  CHECK(base32hex_encode(ascii("foo")) == "cpnmu");
  CHECK(base32hex_encode(ascii("foob")) == "cpnmuog");
  CHECK(base32hex_encode(ascii("fooba")) == "cpnmuoj1");
  CHECK(base32hex_encode(ascii("foobar")) == "cpnmuoj1e8");
}

TEST_CASE("crypto: base32hex decodes the RFC 4648 §10 vectors in either case") {
  for (const char* word : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    CAPTURE(word);
    const std::string encoded = base32hex_encode(ascii(word));
    CHECK(base32hex_decode(encoded) == ascii(word));
    std::string upper = encoded;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(base32hex_decode(upper) == ascii(word));
  }
}

TEST_CASE("crypto: base32hex round-trips an RFC 5155 hashed owner label") {
  const Bytes hash = hex("065368abeed7ec6e9feba96b8c8bc3e8b791f716");  // H(example)
  CHECK(base32hex_encode(hash) == "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
  CHECK(base32hex_decode("0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM") == hash);
}

TEST_CASE("crypto: base32hex rejects bad characters, lengths, padding and unused bits") {
  CHECK_FALSE(base32hex_decode("cpnmw").has_value());     // 'w' is past the alphabet
  CHECK_FALSE(base32hex_decode("cpn mu").has_value());    // no whitespace
  CHECK_FALSE(base32hex_decode("co======").has_value());  // no padding in NSEC3
  CHECK_FALSE(base32hex_decode("c").has_value());         // 1, 3, 6 mod 8: impossible
  CHECK_FALSE(base32hex_decode("cpn").has_value());
  CHECK_FALSE(base32hex_decode("cpnmuo").has_value());
  CHECK_FALSE(base32hex_decode("cp").has_value());  // like "co" but a non-zero unused bit
}

TEST_CASE("crypto: base64 decodes the RFC 4648 §10 vectors") {
  CHECK(base64_decode("") == ascii(""));
  CHECK(base64_decode("Zg==") == ascii("f"));
  CHECK(base64_decode("Zm8=") == ascii("fo"));
  CHECK(base64_decode("Zm9v") == ascii("foo"));
  CHECK(base64_decode("Zm9vYg==") == ascii("foob"));
  CHECK(base64_decode("Zm9vYmE=") == ascii("fooba"));
  CHECK(base64_decode("Zm9vYmFy") == ascii("foobar"));
  CHECK(base64_decode("+/+/") == hex("fbffbf"));
}

TEST_CASE("crypto: base64 skips the whitespace of zone file line breaks") {
  CHECK(base64_decode("Zm9v YmFy") == ascii("foobar"));
  CHECK(base64_decode(" Zm9v\n\tYm\r\nFy ") == ascii("foobar"));
  CHECK(base64_decode("Zg= =") == ascii("f"));
}

TEST_CASE("crypto: base64 rejects bad characters, missing padding and trailing data") {
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
  CHECK_FALSE(base64_decode("Zm9-").has_value());  // base64url is not DNS presentation
  CHECK_FALSE(base64_decode("Zg").has_value());    // padding is required
  CHECK_FALSE(base64_decode("Zg=").has_value());
  CHECK_FALSE(base64_decode("Z===").has_value());  // a lone character is no octet
  CHECK_FALSE(base64_decode("====").has_value());
  CHECK_FALSE(base64_decode("Zg==Zg==").has_value());  // data after padding
  CHECK_FALSE(base64_decode("Zm8=Zg").has_value());
  CHECK_FALSE(base64_decode("Zm9=").has_value());  // non-zero unused bits
  CHECK_FALSE(base64_decode("Zh==").has_value());
}

TEST_CASE("crypto: base64 encodes the RFC 4648 §10 vectors, and decoding reads them back") {
  const auto encode = [](std::string_view s) { return base64_encode(ascii(s)); };
  CHECK(encode("") == "");
  CHECK(encode("f") == "Zg==");
  CHECK(encode("fo") == "Zm8=");
  CHECK(encode("foo") == "Zm9v");
  CHECK(encode("foob") == "Zm9vYg==");
  CHECK(encode("fooba") == "Zm9vYmE=");
  CHECK(encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(hex("fbffbf")) == "+/+/");
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  CHECK(base64_decode(base64_encode(all)) == all);
}

}  // namespace dnsp::crypto::test
