// tests/crypto: PublicKey decoding (RFC 3110, 6605, 8080 key formats) and RRSIG signature
// verification against the published examples, each with its negative twins.
#include "crypto/public_key.h"

#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/crypto/rfc_vectors.h"

namespace dnsp::crypto::test {
namespace {

PublicKey decode_ok(uint8_t algorithm, std::span<const uint8_t> key) {
  DecodeResult r = PublicKey::decode(algorithm, key);
  REQUIRE(r.status == KeyStatus::Ok);
  REQUIRE(r.key.has_value());
  return std::move(*r.key);
}

KeyStatus decode_status(uint8_t algorithm, std::span<const uint8_t> key) {
  DecodeResult r = PublicKey::decode(algorithm, key);
  CHECK(r.key.has_value() == (r.status == KeyStatus::Ok));
  return r.status;
}

VerifyResult verify(const SignatureVector& v) {
  return decode_ok(v.algorithm, v.key).verify(v.signed_data, v.signature);
}

// RFC 3110 §2 with the 3-octet exponent length: 0, then the length in 2 octets.
Bytes long_form_rsa_key(std::span<const uint8_t> short_form) {
  const size_t exponent_len = short_form[0];
  REQUIRE(exponent_len != 0);
  Bytes out = {0, 0, static_cast<uint8_t>(exponent_len)};
  out.insert(out.end(), short_form.begin() + 1, short_form.end());
  return out;
}

}  // namespace

TEST_CASE("crypto: RFC 5702 §6.1 RSASHA256 example verifies") {
  CHECK(verify(rfc5702_rsasha256()) == VerifyResult::Valid);
}

TEST_CASE("crypto: RFC 5702 §6.2 RSASHA512 example verifies") {
  CHECK(verify(rfc5702_rsasha512()) == VerifyResult::Valid);
}

TEST_CASE("crypto: RFC 6605 §6.1 ECDSAP256SHA256 example verifies") {
  CHECK(verify(rfc6605_p256()) == VerifyResult::Valid);
}

TEST_CASE("crypto: RFC 6605 §6.2 ECDSAP384SHA384 example verifies") {
  CHECK(verify(rfc6605_p384()) == VerifyResult::Valid);
}

TEST_CASE("crypto: RFC 8080 §6.1 Ed25519 examples verify") {
  for (const auto& v : rfc8080_ed25519()) {
    CAPTURE(v.name);
    CHECK(verify(v) == VerifyResult::Valid);
  }
}

TEST_CASE("crypto: RFC 8080 §6.2 Ed448 examples verify") {
  for (const auto& v : rfc8080_ed448()) {
    CAPTURE(v.name);
    CHECK(verify(v) == VerifyResult::Valid);
  }
}

TEST_CASE("crypto: RFC 5155 App. A NSEC3PARAM RRSIG verifies with RSASHA1-NSEC3-SHA1") {
  CHECK(verify(rfc5155_nsec3param()) == VerifyResult::Valid);
}

TEST_CASE("crypto: RSASHA1 (5) checks the same RSA/SHA-1 signatures as algorithm 7") {
  // RFC 5155 §2: algorithm 7 is an alias of 5; only the number in the signed data differs.
  const auto v = rfc5155_nsec3param();
  CHECK(decode_ok(5, v.key).verify(v.signed_data, v.signature) == VerifyResult::Valid);
}

TEST_CASE("crypto: RFC 3110 three-octet exponent length decodes the same RSA key") {
  for (const auto& v : {rfc5702_rsasha256(), rfc5702_rsasha512()}) {
    CAPTURE(v.name);
    const PublicKey key = decode_ok(v.algorithm, long_form_rsa_key(v.key));
    CHECK(key.bits() == v.bits);
    CHECK(key.verify(v.signed_data, v.signature) == VerifyResult::Valid);
  }
}

TEST_CASE("crypto: bits() is the RSA modulus size, the curve size, or the EdDSA key size") {
  for (const auto& v : all_signature_vectors()) {
    CAPTURE(v.name);
    const PublicKey key = decode_ok(v.algorithm, v.key);
    CHECK(key.algorithm() == v.algorithm);
    CHECK(key.bits() == v.bits);
  }
}

TEST_CASE("crypto: a flipped signature byte is Invalid") {
  for (const auto& v : all_signature_vectors()) {
    CAPTURE(v.name);
    const PublicKey key = decode_ok(v.algorithm, v.key);
    for (size_t at : {size_t{0}, v.signature.size() / 2, v.signature.size() - 1}) {
      CAPTURE(at);
      Bytes signature = v.signature;
      signature[at] ^= 0x01;
      CHECK(key.verify(v.signed_data, signature) == VerifyResult::Invalid);
    }
  }
}

TEST_CASE("crypto: a flipped signed-data byte is Invalid") {
  for (const auto& v : all_signature_vectors()) {
    CAPTURE(v.name);
    const PublicKey key = decode_ok(v.algorithm, v.key);
    for (size_t at : {size_t{0}, v.signed_data.size() - 1}) {
      CAPTURE(at);
      Bytes data = v.signed_data;
      data[at] ^= 0x20;  // also a case flip: signed data is case-sensitive, canonical form
      CHECK(key.verify(data, v.signature) == VerifyResult::Invalid);
    }
  }
}

TEST_CASE("crypto: a signature by another key is Invalid") {
  const auto a = rfc8080_ed25519();
  CHECK(decode_ok(15, a[1].key).verify(a[0].signed_data, a[0].signature) == VerifyResult::Invalid);
  // The P-256 base point G (SEC 2 §2.4.2) is a valid public key, just not example.net.'s.
  const Bytes generator =
      hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
          "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  const auto p256 = rfc6605_p256();
  CHECK(decode_ok(13, generator).verify(p256.signed_data, p256.signature) == VerifyResult::Invalid);
}

TEST_CASE("crypto: an RSASHA512 signature checked as RSASHA256 is Invalid") {
  const auto v = rfc5702_rsasha512();
  CHECK(decode_ok(8, v.key).verify(v.signed_data, v.signature) == VerifyResult::Invalid);
}

TEST_CASE("crypto: ECDSA signatures of the wrong length are Invalid") {
  // RFC 6605 §4: r || s, 64 octets for P-256 and 96 for P-384.
  for (const auto& v : {rfc6605_p256(), rfc6605_p384()}) {
    CAPTURE(v.name);
    const PublicKey key = decode_ok(v.algorithm, v.key);
    Bytes shorter(v.signature.begin(), v.signature.end() - 1);
    Bytes longer = v.signature;
    longer.push_back(0);
    CHECK(key.verify(v.signed_data, shorter) == VerifyResult::Invalid);
    CHECK(key.verify(v.signed_data, longer) == VerifyResult::Invalid);
    CHECK(key.verify(v.signed_data, Bytes{}) == VerifyResult::Invalid);
  }
  const auto p256 = rfc6605_p256();
  const auto p384 = rfc6605_p384();
  CHECK(decode_ok(13, p256.key).verify(p256.signed_data, p384.signature) == VerifyResult::Invalid);
}

TEST_CASE("crypto: truncated or empty RSA and EdDSA signatures are Invalid") {
  for (const auto& v : all_signature_vectors()) {
    CAPTURE(v.name);
    const PublicKey key = decode_ok(v.algorithm, v.key);
    Bytes truncated(v.signature.begin(), v.signature.end() - 1);
    CHECK(key.verify(v.signed_data, truncated) == VerifyResult::Invalid);
    CHECK(key.verify(v.signed_data, Bytes{}) == VerifyResult::Invalid);
  }
}

TEST_CASE("crypto: ECDSA r or s of zero is Invalid") {
  const auto v = rfc6605_p256();
  Bytes zero_r = v.signature;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  Bytes zero_s = v.signature;
  std::fill(zero_s.begin() + 32, zero_s.end(), 0);
  const PublicKey key = decode_ok(13, v.key);
  CHECK(key.verify(v.signed_data, zero_r) == VerifyResult::Invalid);
  CHECK(key.verify(v.signed_data, zero_s) == VerifyResult::Invalid);
  CHECK(key.verify(v.signed_data, Bytes(64, 0)) == VerifyResult::Invalid);
}

TEST_CASE("crypto: verification leaves the OpenSSL error queue empty") {
  ERR_clear_error();
  for (const auto& v : all_signature_vectors()) {
    CAPTURE(v.name);
    Bytes signature = v.signature;
    signature[0] ^= 0x01;
    CHECK(decode_ok(v.algorithm, v.key).verify(v.signed_data, signature) == VerifyResult::Invalid);
    CHECK(ERR_peek_error() == 0);
  }
  CHECK(decode_status(13, Bytes(64, 0xff)) == KeyStatus::Malformed);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("crypto: unknown, deprecated and private algorithms are Unsupported at decode") {
  // RFC 8624 §3.1: RSAMD5 (1) and DSA (3, 6) MUST NOT be validated; GOST (12) is not
  // implemented; 253/254 are private; 0, 4, 9, 11, 17 and up are unassigned or reserved.
  const auto key = rfc5702_rsasha256().key;
  for (int alg : {0, 1, 2, 3, 4, 6, 9, 11, 12, 17, 100, 252, 253, 254, 255}) {
    CAPTURE(alg);
    CHECK(decode_status(static_cast<uint8_t>(alg), key) == KeyStatus::UnsupportedAlgorithm);
  }
}

TEST_CASE("crypto: an empty key is Malformed for every supported algorithm") {
  for (int alg : {5, 7, 8, 10, 13, 14, 15, 16}) {
    CAPTURE(alg);
    CHECK(decode_status(static_cast<uint8_t>(alg), Bytes{}) == KeyStatus::Malformed);
  }
}

TEST_CASE("crypto: RSA keys whose exponent length runs past the end are Malformed") {
  const Bytes good = rfc5702_rsasha256().key;  // 03 010001 modulus
  // Exponent length larger than the key.
  Bytes too_long = good;
  too_long[0] = 0xff;
  CHECK(decode_status(8, too_long) == KeyStatus::Malformed);
  // Exponent that takes every remaining octet: no modulus left.
  CHECK(decode_status(8, Bytes{3, 1, 0, 1}) == KeyStatus::Malformed);
  // Long form cut short, long form past the end, long form of zero length.
  CHECK(decode_status(8, Bytes{0}) == KeyStatus::Malformed);
  CHECK(decode_status(8, Bytes{0, 1}) == KeyStatus::Malformed);
  Bytes long_past_end = long_form_rsa_key(good);
  long_past_end[1] = 0x10;
  CHECK(decode_status(8, long_past_end) == KeyStatus::Malformed);
  Bytes long_zero = long_form_rsa_key(good);
  long_zero[2] = 0;
  CHECK(decode_status(8, long_zero) == KeyStatus::Malformed);
}

TEST_CASE("crypto: RSA moduli outside RFC 3110 and RFC 5702 sizes are Malformed") {
  const Bytes key512 = rfc5702_rsasha256().key;
  // RFC 5702 §3: RSASHA512 keys are at least 1024 bits.
  CHECK(decode_status(10, key512) == KeyStatus::Malformed);
  CHECK(decode_status(8, key512) == KeyStatus::Ok);
  // 504 bits: below the 512-bit minimum of every RSA algorithm.
  const Bytes short_modulus(key512.begin(), key512.end() - 1);
  for (int alg : {5, 7, 8, 10}) {
    CAPTURE(alg);
    CHECK(decode_status(static_cast<uint8_t>(alg), short_modulus) == KeyStatus::Malformed);
  }
  // 4104 bits: above the 4096-bit maximum.
  Bytes huge = {1, 3};
  huge.insert(huge.end(), 513, 0xff);
  CHECK(decode_status(8, huge) == KeyStatus::Malformed);
  huge.resize(2 + 512);  // exactly 4096 bits
  CHECK(decode_status(8, huge) == KeyStatus::Ok);
}

TEST_CASE("crypto: RSA keys with an even exponent or an exponent of 1 are Malformed") {
  Bytes key = rfc5702_rsasha256().key;  // 03 01 00 01 ...
  key[3] = 0x02;                        // e = 65538
  CHECK(decode_status(8, key) == KeyStatus::Malformed);
  key[1] = 0;
  key[2] = 0;
  key[3] = 1;  // e = 1
  CHECK(decode_status(8, key) == KeyStatus::Malformed);
}

// The RSA key of `short_form` (RFC 3110 §2, 1-octet exponent length) with its exponent
// replaced by the big-endian `exponent`.
Bytes with_rsa_exponent(std::span<const uint8_t> short_form, const Bytes& exponent) {
  Bytes out = {static_cast<uint8_t>(exponent.size())};
  out.insert(out.end(), exponent.begin(), exponent.end());
  out.insert(out.end(), short_form.begin() + 1 + short_form[0], short_form.end());
  return out;
}

TEST_CASE("crypto: RSA public exponents of more than 35 bits are Malformed (as in BIND)") {
  const Bytes key = rfc5702_rsasha256().key;  // 03 010001 modulus
  CHECK(decode_status(8, with_rsa_exponent(key, {0x01, 0x00, 0x01})) == KeyStatus::Ok);
  CHECK(decode_status(8, with_rsa_exponent(key, {0xff, 0xff, 0xff, 0xff})) == KeyStatus::Ok);
  // 2^34 + 1: 35 bits, the largest size accepted.
  CHECK(decode_status(8, with_rsa_exponent(key, {0x04, 0, 0, 0, 0x01})) == KeyStatus::Ok);
  // 2^35 + 1: 36 bits, each verification would cost a long exponentiation (KeyTrap-like).
  CHECK(decode_status(8, with_rsa_exponent(key, {0x08, 0, 0, 0, 0x01})) == KeyStatus::Malformed);
  // Leading zero octets do not count: 2^34 + 1 in 8 octets is still 35 bits.
  CHECK(decode_status(8, with_rsa_exponent(key, {0, 0, 0, 0x04, 0, 0, 0, 0x01})) == KeyStatus::Ok);
  // An odd exponent as long as the modulus (512 bits).
  Bytes huge_e(key.size() - 4, 0xff);
  CHECK(decode_status(8, with_rsa_exponent(key, huge_e)) == KeyStatus::Malformed);
}

TEST_CASE("crypto: ECDSA keys of the wrong length or off the curve are Malformed") {
  for (const auto& v : {rfc6605_p256(), rfc6605_p384()}) {
    CAPTURE(v.name);
    Bytes shorter(v.key.begin(), v.key.end() - 1);
    Bytes longer = v.key;
    longer.push_back(0);
    Bytes with_prefix = {0x04};  // the uncompressed-point octet is not part of the DNSKEY
    with_prefix.insert(with_prefix.end(), v.key.begin(), v.key.end() - 1);
    Bytes off_curve = v.key;
    off_curve.back() ^= 0x01;
    CHECK(decode_status(v.algorithm, shorter) == KeyStatus::Malformed);
    CHECK(decode_status(v.algorithm, longer) == KeyStatus::Malformed);
    CHECK(decode_status(v.algorithm, with_prefix) == KeyStatus::Malformed);
    CHECK(decode_status(v.algorithm, off_curve) == KeyStatus::Malformed);
  }
  // A P-256 key is the wrong length for P-384 and the other way round.
  CHECK(decode_status(14, rfc6605_p256().key) == KeyStatus::Malformed);
  CHECK(decode_status(13, rfc6605_p384().key) == KeyStatus::Malformed);
}

TEST_CASE("crypto: EdDSA keys of the wrong length are Malformed") {
  const Bytes ed25519 = rfc8080_ed25519()[0].key;
  const Bytes ed448 = rfc8080_ed448()[0].key;
  CHECK(decode_status(15, Bytes(ed25519.begin(), ed25519.end() - 1)) == KeyStatus::Malformed);
  CHECK(decode_status(15, ed448) == KeyStatus::Malformed);
  CHECK(decode_status(16, ed25519) == KeyStatus::Malformed);
  CHECK(decode_status(16, Bytes(ed448.begin(), ed448.end() - 1)) == KeyStatus::Malformed);
}

TEST_CASE("crypto: a moved PublicKey keeps verifying") {
  const auto v = rfc6605_p384();
  PublicKey first = decode_ok(v.algorithm, v.key);
  PublicKey second = std::move(first);
  CHECK(second.verify(v.signed_data, v.signature) == VerifyResult::Valid);
  PublicKey third = decode_ok(15, rfc8080_ed25519()[0].key);
  third = std::move(second);
  CHECK(third.algorithm() == 14);
  CHECK(third.verify(v.signed_data, v.signature) == VerifyResult::Valid);
}

}  // namespace dnsp::crypto::test

namespace dnsp::crypto::test {
namespace {

// r || s (RFC 6605 §4) of an OpenSSL DER signature, each padded to `half` octets.
Bytes raw_ecdsa(const unsigned char* der, size_t len, size_t half) {
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(len));
  REQUIRE(sig != nullptr);
  Bytes out(2 * half);
  REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.data(), static_cast<int>(half)) ==
          static_cast<int>(half));
  REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.data() + half, static_cast<int>(half)) ==
          static_cast<int>(half));
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace

TEST_CASE("crypto: ECDSA signatures whose r or s has leading zeros or the top bit set verify") {
  // r and s are re-encoded as DER INTEGERs for OpenSSL: a leading zero octet must go and a
  // set top bit needs one. 1500 signatures by a fresh key make both cases certain (about 12
  // have a zero first octet in r or s); each also fails with one bit of the data flipped.
  for (const char* curve : {"P-256", "P-384"}) {
    const size_t half = std::string(curve) == "P-256" ? 32 : 48;
    EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    REQUIRE(pkey != nullptr);
    unsigned char point[1 + 2 * 48];
    size_t point_len = 0;
    REQUIRE(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
                                            &point_len) == 1);
    const PublicKey key = decode_ok(half == 32 ? 13 : 14, {point + 1, point_len - 1});
    size_t leading_zero = 0;
    size_t top_bit = 0;
    for (int i = 0; i < 1500; ++i) {
      Bytes data(40, static_cast<uint8_t>(i));
      data[0] = static_cast<uint8_t>(i >> 8);
      EVP_MD_CTX* ctx = EVP_MD_CTX_new();
      REQUIRE(EVP_DigestSignInit(ctx, nullptr, half == 32 ? EVP_sha256() : EVP_sha384(), nullptr,
                                 pkey) == 1);
      unsigned char der[2 + 2 * (3 + 48)];
      size_t der_len = sizeof(der);
      REQUIRE(EVP_DigestSign(ctx, der, &der_len, data.data(), data.size()) == 1);
      EVP_MD_CTX_free(ctx);
      const Bytes sig = raw_ecdsa(der, der_len, half);
      leading_zero += (sig[0] == 0) + (sig[half] == 0);
      top_bit += (sig[0] >= 0x80) + (sig[half] >= 0x80);
      REQUIRE(key.verify(data, sig) == VerifyResult::Valid);
      data[5] ^= 1;
      REQUIRE(key.verify(data, sig) == VerifyResult::Invalid);
    }
    CHECK(leading_zero > 0);
    CHECK(top_bit > 0);
    EVP_PKEY_free(pkey);
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("crypto: one key verifies from several threads at once") {
  // Event loops share the key cache: verify() duplicates the key's prepared context, which
  // no thread modifies.
  const auto v = rfc6605_p256();
  const PublicKey key = decode_ok(v.algorithm, v.key);
  std::atomic<int> good{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Bytes flipped = v.signed_data;
      flipped[0] ^= 1;
      for (int i = 0; i < 50; ++i) {
        good += key.verify(v.signed_data, v.signature) == VerifyResult::Valid;
        bad += key.verify(flipped, v.signature) == VerifyResult::Invalid;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(good == 200);
  CHECK(bad == 200);
}

}  // namespace dnsp::crypto::test
