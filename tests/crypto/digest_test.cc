// tests/crypto: DS digests (RFC 4034 §5.4, RFC 4509 §2.3, RFC 6605 §6, RFC 8080 §6) and
// NSEC3 hashes (RFC 5155 Appendix A).
#include "crypto/digest.h"

#include <doctest/doctest.h>

#include "crypto/base32hex.h"
#include "tests/crypto/wire_builder.h"

namespace dnsp::crypto::test {
namespace {

// RFC 4034 §5.1.4: the DS digest input, canonical owner name | DNSKEY RDATA.
Bytes ds_input(std::string_view owner, uint16_t flags, uint8_t algorithm,
               std::string_view key_b64) {
  const Bytes key = b64(key_b64);
  return Wire().name(owner).raw(dnskey_rdata(flags, algorithm, key)).bytes();
}

std::string ds_hex(uint8_t digest_type, std::span<const uint8_t> data) {
  const DigestResult r = ds_digest(digest_type, data);
  REQUIRE(r.status == DigestStatus::Ok);
  return to_hex(r.digest);
}

// RFC 4034 §5.4: dskey.example.com. 86400 IN DNSKEY 256 3 5 (...) ; key id = 60485
Bytes dskey_example_com() {
  return ds_input("dskey.example.com.", 256, 5,
                  "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZ"
                  "DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9Xzc"
                  "nOf+EPbtG9DMBmADjFDc2w/rljwvFw==");
}

std::string nsec3_label(std::string_view owner) {
  const Bytes name = Wire().name(owner).bytes();
  const auto hash = nsec3_hash(1, name, hex("aabbccdd"), 12);
  REQUIRE(hash.has_value());
  CHECK(hash->size() == 20);
  return base32hex_encode(*hash);
}

}  // namespace

TEST_CASE("crypto: RFC 4034 §5.4 DS SHA-1 digest of dskey.example.com.") {
  CHECK(ds_hex(1, dskey_example_com()) == "2bb183af5f22588179a53b0a98631fad1a292118");
}

TEST_CASE("crypto: RFC 4509 §2.3 DS SHA-256 digest of dskey.example.com.") {
  CHECK(ds_hex(2, dskey_example_com()) ==
        "d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a");
}

TEST_CASE("crypto: RFC 6605 §6.1 DS SHA-256 digest of the P-256 key") {
  const Bytes data = ds_input("example.net.", 257, 13,
                              "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
                              "e+MAnLr+Wi9xMWyQLc8NAA==");
  CHECK(ds_hex(2, data) == "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17");
}

TEST_CASE("crypto: RFC 6605 §6.2 DS SHA-384 digest of the P-384 key") {
  const Bytes data = ds_input("example.net.", 257, 14,
                              "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RC"
                              "OpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40");
  CHECK(ds_hex(4, data) ==
        "72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9"
        "495f27e305c6a9b0563a9b5f4d288405c3008a946df983d6");
}

TEST_CASE("crypto: RFC 8080 §6 DS SHA-256 digests of the Ed25519 and Ed448 keys") {
  struct Case {
    uint8_t algorithm;
    const char* key;
    const char* digest;
  };
  const Case cases[] = {
      {15, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
       "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b"},
      {15, "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=",
       "401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c"},
      {16, "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA",
       "6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2b19c7"},
      {16, "kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcNLp5HlHAMy12VoISsA",
       "645ff078b3568f5852b70cb60e8e696cc77b75bfaaffc118cf79cbda1ba28af4"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.key);
    CHECK(ds_hex(2, ds_input("example.com.", 257, c.algorithm, c.key)) == c.digest);
  }
}

TEST_CASE("crypto: a DS digest over a changed DNSKEY does not match") {
  Bytes data = dskey_example_com();
  data.back() ^= 0x01;
  CHECK(ds_hex(1, data) != "2bb183af5f22588179a53b0a98631fad1a292118");
}

TEST_CASE("crypto: DS digest type 3 (GOST) and unassigned types are Unsupported") {
  for (int type : {0, 3, 5, 6, 255}) {
    CAPTURE(type);
    const DigestResult r = ds_digest(static_cast<uint8_t>(type), dskey_example_com());
    CHECK(r.status == DigestStatus::Unsupported);
    CHECK(r.digest.empty());
  }
}

TEST_CASE("crypto: RFC 5155 App. A NSEC3 hashes of the example zone names") {
  // Salt AABBCCDD, 12 additional iterations, SHA-1.
  const std::pair<const char*, const char*> cases[] = {
      {"example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
      {"a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
      {"ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"},
      {"ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
      {"ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"},
      {"w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"},
      {"*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
      {"x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"},
      {"y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"},
      {"x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"},
      {"xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"},
      {"2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi"},
  };
  // Not a structured binding: clang 14 cannot capture one (CAPTURE is a lambda).
  for (const auto& c : cases) {
    const auto& owner = c.first;
    CAPTURE(owner);
    CHECK(nsec3_label(owner) == c.second);
  }
}

TEST_CASE("crypto: NSEC3 hash with no salt and 0 iterations is SHA-1 of the name") {
  // IH(salt, x, 0) = H(x || salt): with an empty salt, the DS SHA-1 of the same bytes.
  const Bytes name = Wire().name("example.").bytes();
  const auto hash = nsec3_hash(1, name, {}, 0);
  REQUIRE(hash.has_value());
  CHECK(to_hex(*hash) == ds_hex(1, name));
}

TEST_CASE("crypto: each NSEC3 iteration and the salt change the hash") {
  const Bytes name = Wire().name("example.").bytes();
  const Bytes salt = hex("aabbccdd");
  CHECK(nsec3_hash(1, name, salt, 11) != nsec3_hash(1, name, salt, 12));
  CHECK(nsec3_hash(1, name, hex("aabbccde"), 12) != nsec3_hash(1, name, salt, 12));
  // The maximum the field allows still completes (RFC 9276 limits are the caller's).
  CHECK(nsec3_hash(1, name, salt, 65535).has_value());
}

TEST_CASE("crypto: NSEC3 hash algorithms other than 1 (SHA-1) give nullopt") {
  const Bytes name = Wire().name("example.").bytes();
  for (int alg : {0, 2, 255}) {
    CAPTURE(alg);
    CHECK_FALSE(nsec3_hash(static_cast<uint8_t>(alg), name, hex("aabbccdd"), 12).has_value());
  }
}

}  // namespace dnsp::crypto::test
