// The published DNSSEC signature examples used by tests/crypto: RFC 5702 §6 (RSA/SHA-2),
// RFC 6605 §6 (ECDSA), RFC 8080 §6 as corrected by verified erratum 4935 (EdDSA), and one
// RRSIG from the RFC 5155 Appendix A zone (RSASHA1-NSEC3-SHA1). Keys and signatures are the
// RFCs' base64; the signed data is rebuilt from the records the RFCs print.
#pragma once

#include <string>
#include <vector>

#include "tests/crypto/wire_builder.h"

namespace dnsp::crypto::test {

struct SignatureVector {
  std::string name;  // RFC and section, for failure messages
  uint8_t algorithm;
  Bytes key;          // DNSKEY Public Key field
  Bytes signature;    // RRSIG Signature field
  Bytes signed_data;  // RRSIG RDATA without signature | canonical RRset
  unsigned bits;      // expected PublicKey::bits()
};

// RFC 5702 §6: www.example.net. 3600 IN A 192.0.2.91, signed 20000101000000 to
// 20300101000000 by example.net.
inline SignatureVector rfc5702_rsasha256() {
  const Bytes a = {192, 0, 2, 91};
  return {
      "RFC 5702 §6.1 RSASHA256",
      8,
      b64("AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8P"
          "kxUdp6p/DlUmObdk="),
      b64("kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPt"
          "PiVYP4bwg=="),
      signed_data({kTypeA, 8, 3, 3600, "20300101000000", "20000101000000", 9033, "example.net."},
                  "www.example.net.", a),
      512};
}

inline SignatureVector rfc5702_rsasha512() {
  const Bytes a = {192, 0, 2, 91};
  return {
      "RFC 5702 §6.2 RSASHA512",
      10,
      b64("AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFDx"
          "j13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1bWXjDtaR7ZQBlZ3"
          "PFY12ZTSncorffcGmhOL"),
      b64("tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRaeUw1ep94"
          "PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1"
          "MBGk0fthPgxdDLw="),
      signed_data({kTypeA, 10, 3, 3600, "20300101000000", "20000101000000", 3740, "example.net."},
                  "www.example.net.", a),
      1024};
}

// RFC 6605 §6: www.example.net. 3600 IN A 192.0.2.1 signed by the example.net. KSK.
inline SignatureVector rfc6605_p256() {
  const Bytes a = {192, 0, 2, 1};
  return {
      "RFC 6605 §6.1 ECDSAP256SHA256",
      13,
      b64("GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMW"
          "yQLc8NAA=="),
      b64("qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwW"
          "ep666VCw=="),
      signed_data({kTypeA, 13, 3, 3600, "20100909100439", "20100812100439", 55648, "example.net."},
                  "www.example.net.", a),
      256};
}

inline SignatureVector rfc6605_p384() {
  const Bytes a = {192, 0, 2, 1};
  return {
      "RFC 6605 §6.2 ECDSAP384SHA384",
      14,
      b64("xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEk"
          "rbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40"),
      b64("/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRK"
          "ayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm"),
      signed_data({kTypeA, 14, 3, 3600, "20100909102025", "20100812102025", 10771, "example.net."},
                  "www.example.net.", a),
      384};
}

// RFC 8080 §6 (erratum 4935): example.com. 3600 IN MX 10 mail.example.com., signed
// 1438207200 (20150729220000) to 1440021600 (20150819220000), two keys per curve.
inline SignatureVector rfc8080(std::string name, uint8_t algorithm, uint16_t key_tag,
                               const char* key, const char* signature, unsigned bits) {
  const Bytes mx = Wire().u16(10).name("mail.example.com.").bytes();
  return {std::move(name),
          algorithm,
          b64(key),
          b64(signature),
          signed_data({kTypeMx, algorithm, 2, 3600, "20150819220000", "20150729220000", key_tag,
                       "example.com."},
                      "example.com.", mx),
          bits};
}

inline std::vector<SignatureVector> rfc8080_ed25519() {
  return {
      rfc8080("RFC 8080 §6.1 ED25519 key 3613", 15, 3613,
              "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
              "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngw"
              "crqNAg==",
              256),
      rfc8080("RFC 8080 §6.1 ED25519 key 35217", 15, 35217,
              "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=",
              "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5"
              "k2pcBg==",
              256),
  };
}

inline std::vector<SignatureVector> rfc8080_ed448() {
  return {
      rfc8080("RFC 8080 §6.2 ED448 key 9713", 16, 9713,
              "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA",
              "3cPAHkmlnxcDHMyg7vFC34l0blBhuG1qpwLmjInI8w1CMB29FkEAIJUA0amxWndkmnBZ6SKiwZSAxGIL"
              "n/NBtOXft0+Gj7FSvOKxE/07+4RQvE581N3Aj/JtIyaiYVdnYtyMWbSNyGEY2213WKsJlwEA",
              456),
      rfc8080("RFC 8080 §6.2 ED448 key 38353", 16, 38353,
              "kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcNLp5HlHAMy12VoISsA",
              "E1/oLjSGIbmLny/4fcgM1z4oL6aqo+izT3urCyHyvEp4Sp8Syg1eI+lJ57CSnZqjJP41O/9l4m0AsQ4f"
              "7qI1gVnML8vWWiyW2KXhT9kuAICUSxv5OWbf81Rq7Yu60npabODB0QFPb/rkW3kUZmQ0YQUA",
              456),
  };
}

// RFC 5155 Appendix A: example. NSEC3PARAM 1 0 12 aabbccdd, signed by the ZSK (tag 40430).
inline SignatureVector rfc5155_nsec3param() {
  const Bytes nsec3param = hex("01 00 000c 04 aabbccdd");
  return {"RFC 5155 App. A RSASHA1-NSEC3-SHA1",
          7,
          b64("AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LUsAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2hTY4hH"
              "n9npWFRw5BYubE="),
          b64("C1Gl8tPZNtnjlrYWDeeUV/sGLCyy/IHie2rerN05XSA3Pq0U3+4VvGWYWdUMfflOdxqnXHwJTLQsj"
              "lkynhG6Cg=="),
          signed_data(
              {kTypeNsec3param, 7, 1, 3600, "20150420235959", "20051021000000", 40430, "example."},
              "example.", nsec3param),
          512};
}

// Every vector above: the positive cases, and the base of the negative twins.
inline std::vector<SignatureVector> all_signature_vectors() {
  std::vector<SignatureVector> all = {rfc5702_rsasha256(), rfc5702_rsasha512(), rfc6605_p256(),
                                      rfc6605_p384(), rfc5155_nsec3param()};
  for (auto& v : rfc8080_ed25519()) all.push_back(std::move(v));
  for (auto& v : rfc8080_ed448()) all.push_back(std::move(v));
  return all;
}

}  // namespace dnsp::crypto::test
