// tests/crypto: the RFC 8624 algorithm and digest tables.
#include "crypto/algorithm.h"

#include <doctest/doctest.h>

#include <set>

namespace dnsp::crypto {

TEST_CASE("crypto: algorithms 5 7 8 10 13 14 15 16 are supported, no others") {
  const std::set<int> supported = {5, 7, 8, 10, 13, 14, 15, 16};
  for (int alg = 0; alg <= 255; ++alg) {
    CAPTURE(alg);
    CHECK(algorithm_supported(static_cast<uint8_t>(alg)) == supported.contains(alg));
  }
}

TEST_CASE("crypto: algorithm names are the IANA mnemonics") {
  CHECK(algorithm_name(1) == "RSAMD5");
  CHECK(algorithm_name(3) == "DSA");
  CHECK(algorithm_name(5) == "RSASHA1");
  CHECK(algorithm_name(7) == "RSASHA1-NSEC3-SHA1");
  CHECK(algorithm_name(8) == "RSASHA256");
  CHECK(algorithm_name(10) == "RSASHA512");
  CHECK(algorithm_name(12) == "ECC-GOST");
  CHECK(algorithm_name(13) == "ECDSAP256SHA256");
  CHECK(algorithm_name(14) == "ECDSAP384SHA384");
  CHECK(algorithm_name(15) == "ED25519");
  CHECK(algorithm_name(16) == "ED448");
  CHECK(algorithm_name(253) == "PRIVATEDNS");
  CHECK(algorithm_name(17) == "ALG17");
  CHECK(algorithm_name(0) == "ALG0");
}

TEST_CASE("crypto: digest types 1 2 4 are supported, no others") {
  const std::set<int> supported = {1, 2, 4};
  for (int type = 0; type <= 255; ++type) {
    CAPTURE(type);
    CHECK(digest_supported(static_cast<uint8_t>(type)) == supported.contains(type));
  }
}

TEST_CASE("crypto: digest names are the IANA mnemonics") {
  CHECK(digest_name(1) == "SHA-1");
  CHECK(digest_name(2) == "SHA-256");
  CHECK(digest_name(3) == "GOST R 34.11-94");
  CHECK(digest_name(4) == "SHA-384");
  CHECK(digest_name(5) == "DIGEST5");
}

TEST_CASE("crypto: enum values are the wire numbers") {
  CHECK(static_cast<int>(Algorithm::RsaSha1Nsec3Sha1) == 7);
  CHECK(static_cast<int>(Algorithm::EcdsaP384Sha384) == 14);
  CHECK(static_cast<int>(Algorithm::Ed448) == 16);
  CHECK(static_cast<int>(DigestType::Sha384) == 4);
}

}  // namespace dnsp::crypto
