// A DNSKEY public key, decoded once from its Algorithm and Public Key fields, that verifies
// RRSIG signatures: RSA per RFC 3110 and RFC 5702, ECDSA per RFC 6605, EdDSA per RFC 8080.
// The caller builds the signed data (RFC 4034 §3.1.8.1: RRSIG RDATA without the signature,
// then the canonical RRset); this file only speaks bytes and algorithm numbers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

struct evp_pkey_st;      // OpenSSL's EVP_PKEY, kept out of this header,
struct evp_pkey_ctx_st;  // and its EVP_PKEY_CTX.

namespace dnsp::crypto {

// The outcome of checking one signature.
enum class VerifyResult : uint8_t {
  Valid,        // the signature is good for this key and data
  Invalid,      // a bad signature, or one of the wrong length for the algorithm (Bogus)
  Unsupported,  // the key's algorithm cannot verify here (not reached for decoded keys)
  Error,        // OpenSSL failed; the signature counts as not verified (Reason::CryptoError)
};

enum class KeyStatus : uint8_t {
  Ok,
  UnsupportedAlgorithm,  // algorithm_supported() is false: RFC 4035 §5.2, not Bogus
  Malformed,             // the Public Key field does not encode a key of that algorithm,
                         // or one outside our limits (RSA modulus size, exponent > 35 bits)
};

struct DecodeResult;

class PublicKey {
 public:
  // Decodes the DNSKEY Public Key field `key` for `algorithm`:
  // - RSA (5, 7, 8, 10), RFC 3110 §2: exponent length in 1 octet, or 0 then 2 octets;
  //   exponent; modulus. Moduli of 512..4096 bits (1024..4096 for RSASHA512, RFC 5702 §3);
  //   odd exponents of 3 to 35 bits (BIND's bound: a huge e makes verifying costly).
  // - ECDSA (13, 14), RFC 6605 §4: the point's x || y, 64 or 96 octets, on the curve.
  // - EdDSA (15, 16), RFC 8080 §3: the 32 or 57 octet public key.
  static DecodeResult decode(uint8_t algorithm, std::span<const uint8_t> key);

  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  uint8_t algorithm() const { return algorithm_; }
  // RSA: modulus bits. ECDSA: 256 or 384. EdDSA: 256 (Ed25519) or 456 (Ed448).
  unsigned bits() const { return bits_; }

  // Checks an RRSIG Signature field over `signed_data`. RSA: PKCS#1 v1.5 with SHA-1,
  // SHA-256 or SHA-512. ECDSA: the signature is r || s (RFC 6605 §4), converted to DER for
  // OpenSSL; a length other than 64/96 is Invalid. EdDSA: PureEdDSA over the data.
  VerifyResult verify(std::span<const uint8_t> signed_data,
                      std::span<const uint8_t> signature) const;

 private:
  struct PkeyFree {
    void operator()(evp_pkey_st* pkey) const noexcept;
  };
  using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyFree>;
  struct CtxFree {
    void operator()(evp_pkey_ctx_st* ctx) const noexcept;
  };
  using CtxPtr = std::unique_ptr<evp_pkey_ctx_st, CtxFree>;

  PublicKey(uint8_t algorithm, unsigned bits, PkeyPtr pkey);

  uint8_t algorithm_;
  unsigned bits_;
  PkeyPtr pkey_;
  // RSA and ECDSA: a context set up once for verifying with this key and the algorithm's
  // digest (EVP_PKEY_verify_init), duplicated for each signature: the per-signature
  // EVP_DigestVerifyInit looked the algorithm up in OpenSSL's provider store every time.
  // Never modified after decode(), so threads may duplicate it at once. nullptr: EdDSA
  // (which signs the data itself, RFC 8080 §4), or OpenSSL refused: then the slow path.
  CtxPtr verify_ctx_;
};

// key is engaged exactly when status == KeyStatus::Ok.
struct DecodeResult {
  KeyStatus status;
  std::optional<PublicKey> key;
};

}  // namespace dnsp::crypto
