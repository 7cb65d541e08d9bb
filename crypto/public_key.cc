#include "crypto/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <array>
#include <cassert>
#include <cstring>
#include <utility>
#include <vector>

#include "crypto/algorithm.h"
#include "crypto/fetched_md.h"
#include "crypto/openssl_ptr.h"

namespace dnsp::crypto {
namespace {

using BnPtr = OpenSslPtr<BIGNUM, BN_free>;
using ParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using PkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;

// RFC 3110 §4 and RFC 5702 §2-3: RSA moduli of 512 to 4096 bits; RSASHA512 from 1024.
constexpr int kRsaMaxBits = 4096;
// Public exponents of at most 35 bits, as BIND (RSA_MAX_PUBEXP_BITS): every verification
// costs an exponentiation as long as e, so a zone publishing a key with a modulus-sized e
// would make each of its signatures a private-key-sized operation (a KeyTrap-like CPU
// cost). Real keys use 65537 (17 bits) or 3.
constexpr int kRsaMaxExponentBits = 35;
int rsa_min_bits(Algorithm algorithm) { return algorithm == Algorithm::RsaSha512 ? 1024 : 512; }

// Builds a public EVP_PKEY of `type` ("RSA", "EC") from the parameters in `bld`;
// nullptr when OpenSSL rejects them (e.g. an EC point that is not on the curve).
EVP_PKEY* pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return pkey;
}

struct Decoded {
  EVP_PKEY* pkey = nullptr;  // nullptr: malformed
  unsigned bits = 0;
};

// RFC 3110 §2: exponent length (1 octet, or a zero octet then 2 octets), exponent, modulus.
Decoded decode_rsa(Algorithm algorithm, std::span<const uint8_t> key) {
  if (key.empty()) return {};
  size_t exponent_len = key[0];
  size_t pos = 1;
  if (exponent_len == 0) {
    if (key.size() < 3) return {};
    exponent_len = size_t{key[1]} << 8 | key[2];
    pos = 3;
  }
  // A zero-length exponent, or one that leaves no octet for the modulus, is malformed.
  if (exponent_len == 0 || key.size() - pos <= exponent_len) return {};
  const auto exponent = key.subspan(pos, exponent_len);
  const auto modulus = key.subspan(pos + exponent_len);

  BnPtr e(BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), nullptr));
  BnPtr n(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
  if (!e || !n) return {};
  const int bits = BN_num_bits(n.get());
  if (bits < rsa_min_bits(algorithm) || bits > kRsaMaxBits) return {};
  // An even exponent, 1, or an exponent of more than 35 bits is no usable RSA key.
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > kRsaMaxExponentBits) {
    return {};
  }

  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return {};
  }
  return {pkey_from_params("RSA", bld.get()), static_cast<unsigned>(bits)};
}

// RFC 6605 §4: the public key is the uncompressed point without its 0x04 prefix, x || y.
Decoded decode_ecdsa(Algorithm algorithm, std::span<const uint8_t> key) {
  const bool p256 = algorithm == Algorithm::EcdsaP256Sha256;
  const unsigned bits = p256 ? 256 : 384;
  if (key.size() != 2 * bits / 8) return {};
  std::vector<uint8_t> point;
  point.reserve(1 + key.size());
  point.push_back(POINT_CONVERSION_UNCOMPRESSED);
  point.insert(point.end(), key.begin(), key.end());

  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      p256 ? "prime256v1" : "secp384r1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return {};
  }
  return {pkey_from_params("EC", bld.get()), bits};
}

// RFC 8080 §3: the public key is the raw 32 (Ed25519) or 57 (Ed448) octets of RFC 8032.
Decoded decode_eddsa(Algorithm algorithm, std::span<const uint8_t> key) {
  const bool ed25519 = algorithm == Algorithm::Ed25519;
  if (key.size() != (ed25519 ? 32u : 57u)) return {};
  return {EVP_PKEY_new_raw_public_key(ed25519 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448, nullptr,
                                      key.data(), key.size()),
          ed25519 ? 256u : 456u};
}

// The digest an RSA or ECDSA algorithm signs with (RFC 3110, 5702, 6605); nullptr for EdDSA.
const EVP_MD* digest_of(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::RsaSha1:
    case Algorithm::RsaSha1Nsec3Sha1:
      return md::sha1();
    case Algorithm::RsaSha256:
    case Algorithm::EcdsaP256Sha256:
      return md::sha256();
    case Algorithm::RsaSha512:
      return md::sha512();
    case Algorithm::EcdsaP384Sha384:
      return md::sha384();
    case Algorithm::Ed25519:
    case Algorithm::Ed448:
      break;
  }
  return nullptr;
}

// A DER INTEGER (ITU-T X.690 §8.3) of the big-endian unsigned `value`: leading zero octets
// dropped (one kept for zero), a zero octet put first when the top bit is set. Returns the
// octets written to `out` (at most 3 + value.size()).
size_t der_integer(std::span<const uint8_t> value, uint8_t* out) {
  size_t i = 0;
  while (i + 1 < value.size() && value[i] == 0) ++i;
  const bool pad = (value[i] & 0x80) != 0;
  const size_t len = value.size() - i + (pad ? 1 : 0);
  size_t p = 0;
  out[p++] = 0x02;
  out[p++] = static_cast<uint8_t>(len);
  if (pad) out[p++] = 0;
  std::memcpy(out + p, value.data() + i, value.size() - i);
  return p + value.size() - i;
}

// RFC 6605 §4: a signature is r || s, each as long as a coordinate (32 or 48 octets); OpenSSL
// wants the DER ECDSA-Sig-Value, SEQUENCE { r INTEGER, s INTEGER }. Both fit a one-octet
// length (at most 2 * 51 octets). Returns the length written to `out`.
constexpr size_t kMaxEcdsaDer = 2 + 2 * (3 + 48);
size_t ecdsa_der_signature(std::span<const uint8_t> r_s, uint8_t* out) {
  const size_t half = r_s.size() / 2;
  size_t p = 2;
  p += der_integer(r_s.first(half), out + p);
  p += der_integer(r_s.subspan(half), out + p);
  out[0] = 0x30;
  out[1] = static_cast<uint8_t>(p - 2);
  return p;
}

}  // namespace

void PublicKey::PkeyFree::operator()(evp_pkey_st* pkey) const noexcept { EVP_PKEY_free(pkey); }
void PublicKey::CtxFree::operator()(evp_pkey_ctx_st* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }

PublicKey::PublicKey(uint8_t algorithm, unsigned bits, PkeyPtr pkey)
    : algorithm_(algorithm), bits_(bits), pkey_(std::move(pkey)) {}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

DecodeResult PublicKey::decode(uint8_t algorithm, std::span<const uint8_t> key) {
  if (!algorithm_supported(algorithm)) return {KeyStatus::UnsupportedAlgorithm, std::nullopt};
  const auto alg = static_cast<Algorithm>(algorithm);
  Decoded decoded;
  switch (alg) {
    case Algorithm::RsaSha1:
    case Algorithm::RsaSha1Nsec3Sha1:
    case Algorithm::RsaSha256:
    case Algorithm::RsaSha512:
      decoded = decode_rsa(alg, key);
      break;
    case Algorithm::EcdsaP256Sha256:
    case Algorithm::EcdsaP384Sha384:
      decoded = decode_ecdsa(alg, key);
      break;
    case Algorithm::Ed25519:
    case Algorithm::Ed448:
      decoded = decode_eddsa(alg, key);
      break;
  }
  if (decoded.pkey == nullptr) {
    ERR_clear_error();  // whatever OpenSSL queued while rejecting the key
    return {KeyStatus::Malformed, std::nullopt};
  }
  PublicKey pub(algorithm, decoded.bits, PkeyPtr(decoded.pkey));
  if (const EVP_MD* md = digest_of(alg)) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub.pkey_.get(), nullptr));
    const bool rsa = alg != Algorithm::EcdsaP256Sha256 && alg != Algorithm::EcdsaP384Sha384;
    if (ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
        (!rsa || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1) &&
        EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1) {
      pub.verify_ctx_.reset(ctx.release());
    } else {
      ERR_clear_error();  // verify() takes the EVP_DigestVerify path for this key
    }
  }
  return {KeyStatus::Ok, std::move(pub)};
}

VerifyResult PublicKey::verify(std::span<const uint8_t> signed_data,
                               std::span<const uint8_t> signature) const {
  assert(pkey_ != nullptr && "verify() on a moved-from PublicKey");
  const auto alg = static_cast<Algorithm>(algorithm_);
  const EVP_MD* md = digest_of(alg);  // EdDSA: none, it hashes internally (RFC 8080 §4)
  std::array<uint8_t, kMaxEcdsaDer> der;
  if (alg == Algorithm::EcdsaP256Sha256 || alg == Algorithm::EcdsaP384Sha384) {
    // RFC 6605 §4: r and s are each exactly one coordinate long.
    if (signature.size() != 2 * bits_ / 8) return VerifyResult::Invalid;
    signature = {der.data(), ecdsa_der_signature(signature, der.data())};
  } else if (md == nullptr && alg != Algorithm::Ed25519 && alg != Algorithm::Ed448) {
    return VerifyResult::Unsupported;
  }

  int rc = -1;  // 1: good signature. 0: bad signature. < 0: OpenSSL could not decide.
  if (verify_ctx_ != nullptr) {
    // RSA / ECDSA: our digest of the data, then the prepared context's verification.
    std::array<uint8_t, EVP_MAX_MD_SIZE> digest;
    unsigned digest_len = 0;
    PkeyCtxPtr ctx(EVP_PKEY_CTX_dup(verify_ctx_.get()));
    if (ctx && EVP_Digest(signed_data.data(), signed_data.size(), digest.data(), &digest_len, md,
                          nullptr) == 1) {
      rc =
          EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest_len);
    }
  } else {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) == 1) {
      rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), signed_data.data(),
                            signed_data.size());
    }
  }
  if (rc == 1) return VerifyResult::Valid;
  ERR_clear_error();  // a bad signature queues errors too; leave the queue empty
  return rc == 0 ? VerifyResult::Invalid : VerifyResult::Error;
}

}  // namespace dnsp::crypto
