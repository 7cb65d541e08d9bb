// Test-only zone signing: Ed25519 keys from fixed seeds (RFC 8080), DNSKEY and DS RDATA,
// and RRSIGs over RRsets (RFC 4034 §3.1.8.1, through resolver/verify/canonical.h signed_data), so
// tests and the fuzz corpus generator can build signed answers at run time. Ed25519
// signatures are deterministic: the same seed and data give the same bytes. Tests may use
// OpenSSL directly; the proxy's own code reaches it only through crypto/.
#pragma once

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "resolver/verify/canonical.h"
#include "resolver/wire/message_builder.h"
#include "resolver/wire/name.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/rrset.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver::test {

inline constexpr uint8_t kEd25519 = 15;
inline constexpr uint16_t kZoneKeyFlags = 256;  // Zone Key
inline constexpr uint16_t kKskFlags = 257;      // Zone Key + Secure Entry Point

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};

class TestKey {
 public:
  // An Ed25519 key whose private key is 32 octets of `seed_byte` (any value gives a key).
  TestKey(const Name& zone, uint16_t flags, uint8_t seed_byte) : zone_(zone) {
    std::array<uint8_t, 32> seed{};
    seed.fill(seed_byte);
    pkey_.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
    if (!pkey_) throw std::runtime_error("test signer: no Ed25519 key");
    std::array<uint8_t, 32> pub{};
    size_t len = pub.size();
    EVP_PKEY_get_raw_public_key(pkey_.get(), pub.data(), &len);
    dnskey_ = {static_cast<uint8_t>(flags >> 8), static_cast<uint8_t>(flags), 3, kEd25519};
    dnskey_.insert(dnskey_.end(), pub.begin(), pub.end());
    tag_ = key_tag(dnskey_);
  }

  const Name& zone() const { return zone_; }
  const std::vector<uint8_t>& dnskey_rdata() const { return dnskey_; }
  uint16_t tag() const { return tag_; }

  // DS RDATA (RFC 4034 §5.1) with a SHA-256 digest.
  std::vector<uint8_t> ds_rdata() const {
    auto d = crypto::ds_digest(2, ds_digest_input(zone_, dnskey_));
    // Reserved, then appended: g++ 12 misreads an insert after a braced initialiser as out of
    // bounds (-Warray-bounds) when this is inlined.
    std::vector<uint8_t> out;
    out.reserve(4 + d.digest.size());
    for (uint8_t b :
         {static_cast<uint8_t>(tag_ >> 8), static_cast<uint8_t>(tag_), kEd25519, uint8_t{2}}) {
      out.push_back(b);
    }
    out.insert(out.end(), d.digest.begin(), d.digest.end());
    return out;
  }

  // This key's DS as a trust anchor file line ("zone. DS tag 15 2 HEX"), for
  // TrustAnchors::from_text: the anchor of a test zone.
  std::string ds_anchor_text() const {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string hex;
    const std::vector<uint8_t> ds = ds_rdata();
    for (size_t i = 4; i < ds.size(); ++i) {
      hex += kHex[ds[i] >> 4];
      hex += kHex[ds[i] & 0x0F];
    }
    return zone_.to_string() + " DS " + std::to_string(tag_) + " 15 2 " + hex + "\n";
  }

  // RRSIG RDATA over the RRset `owner`/`type` with `rdatas`, signed by this key. `labels`
  // overrides the Labels field (default: the owner's labels, a leading "*" not counted).
  std::vector<uint8_t> sign(const Name& owner, RRType type, uint32_t ttl,
                            const std::vector<std::vector<uint8_t>>& rdatas, uint32_t inception,
                            uint32_t expiration, int labels = -1) const {
    std::vector<uint8_t> rr;
    put16(rr, to_u16(type));
    rr.push_back(kEd25519);
    rr.push_back(static_cast<uint8_t>(
        labels >= 0
            ? static_cast<size_t>(labels)
            : owner.label_count() -
                  (owner.first_label().size() == 1 && owner.first_label()[0] == '*' ? 1 : 0)));
    put32(rr, ttl);
    put32(rr, expiration);
    put32(rr, inception);
    put16(rr, tag_);
    rr.insert(rr.end(), zone_.wire().begin(), zone_.wire().end());
    std::vector<uint8_t> with_placeholder = rr;
    with_placeholder.push_back(0);
    auto sig = parse_rrsig(with_placeholder);
    if (!sig) throw std::runtime_error("test signer: bad RRSIG");
    RRset set{owner, type, RRClass::IN, ttl, Section::Answer, rdatas, {}};
    const auto data = signed_data(*sig, with_placeholder, set);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::array<uint8_t, 64> signature{};
    size_t siglen = signature.size();
    if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), signature.data(), &siglen, data.data(), data.size()) != 1) {
      throw std::runtime_error("test signer: signing failed");
    }
    rr.insert(rr.end(), signature.begin(), signature.begin() + static_cast<long>(siglen));
    return rr;
  }

 private:
  static void put16(std::vector<uint8_t>& o, uint16_t v) {
    o.push_back(static_cast<uint8_t>(v >> 8));
    o.push_back(static_cast<uint8_t>(v));
  }
  static void put32(std::vector<uint8_t>& o, uint32_t v) {
    put16(o, static_cast<uint16_t>(v >> 16));
    put16(o, static_cast<uint16_t>(v));
  }

  Name zone_;
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey_;
  std::vector<uint8_t> dnskey_;
  uint16_t tag_ = 0;
};

// An Ed25519 DNSKEY RDATA that is not `base` but has the same key tag (RFC 4034 App. B:
// the tag is a 16-bit one's-complement-style sum, so adding k to one even-offset octet and
// taking k from another keeps it). `variant` (1..) picks which pair of octets changes.
// Such a key verifies nothing: the KeyTrap shape (CVE-2023-50387).
inline std::vector<uint8_t> same_tag_dnskey(const std::vector<uint8_t>& base, unsigned variant) {
  std::vector<uint8_t> out = base;
  // Public key octets start at offset 4; use even offsets 4.. so both octets are high bytes
  // of their 16-bit words.
  const size_t i = 4 + 2 * (variant % 14);
  const size_t j = i + 2;
  const uint8_t k = static_cast<uint8_t>(1 + variant / 14);
  // Pick a direction that neither overflows nor underflows either octet.
  if (out[i] <= 255 - k && out[j] >= k) {
    out[i] = static_cast<uint8_t>(out[i] + k);
    out[j] = static_cast<uint8_t>(out[j] - k);
  } else {
    out[i] = static_cast<uint8_t>(out[i] - k);
    out[j] = static_cast<uint8_t>(out[j] + k);
  }
  return out;
}

// An NSEC/NSEC3 type bitmap (RFC 4034 §4.1.2) listing `types`.
inline std::vector<uint8_t> type_bitmap(std::vector<RRType> types) {
  std::vector<uint8_t> out;
  std::array<std::array<uint8_t, 32>, 256> windows{};
  std::array<size_t, 256> lengths{};
  for (RRType t : types) {
    const uint16_t v = to_u16(t);
    const size_t w = v >> 8, bit = v & 0xFF;
    windows[w][bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    lengths[w] = std::max(lengths[w], bit / 8 + 1);
  }
  for (size_t w = 0; w < 256; ++w) {
    if (lengths[w] == 0) continue;
    out.push_back(static_cast<uint8_t>(w));
    out.push_back(static_cast<uint8_t>(lengths[w]));
    out.insert(out.end(), windows[w].begin(), windows[w].begin() + static_cast<long>(lengths[w]));
  }
  return out;
}

inline std::vector<uint8_t> nsec_rdata(const Name& next, std::vector<RRType> types) {
  std::vector<uint8_t> out(next.wire().begin(), next.wire().end());
  auto bm = type_bitmap(std::move(types));
  out.insert(out.end(), bm.begin(), bm.end());
  return out;
}

// NSEC3 RDATA (RFC 5155 §3.2): SHA-1, `flags` (1 = Opt-Out), no salt unless given.
inline std::vector<uint8_t> nsec3_rdata(uint8_t flags, uint16_t iterations,
                                        const std::vector<uint8_t>& next_hash,
                                        std::vector<RRType> types,
                                        const std::vector<uint8_t>& salt = {}) {
  std::vector<uint8_t> out{1, flags, static_cast<uint8_t>(iterations >> 8),
                           static_cast<uint8_t>(iterations), static_cast<uint8_t>(salt.size())};
  out.insert(out.end(), salt.begin(), salt.end());
  out.push_back(static_cast<uint8_t>(next_hash.size()));
  out.insert(out.end(), next_hash.begin(), next_hash.end());
  auto bm = type_bitmap(std::move(types));
  out.insert(out.end(), bm.begin(), bm.end());
  return out;
}

inline std::vector<uint8_t> soa_rdata(const Name& zone) {
  std::vector<uint8_t> out(zone.wire().begin(), zone.wire().end());  // MNAME
  out.insert(out.end(), zone.wire().begin(), zone.wire().end());     // RNAME
  for (uint32_t v : {1u, 3600u, 600u, 86400u, 300u}) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  }
  return out;
}

// A response written record set by record set, each optionally signed: the upstream's
// side of a validation, for tests and the fuzz corpus.
class SignedResponse {
 public:
  SignedResponse(const Name& qname, RRType qtype, RCode rcode = RCode::NoError,
                 uint32_t inception = 0, uint32_t expiration = 0xFFFFFFFF)
      : qname_(qname),
        qtype_(qtype),
        rcode_(rcode),
        inception_(inception),
        expiration_(expiration) {}

  // Adds the RRset and, for each key in `signers`, an RRSIG over it.
  SignedResponse& add(Section section, const Name& owner, RRType type,
                      std::vector<std::vector<uint8_t>> rdatas,
                      std::vector<const TestKey*> signers = {}, uint32_t ttl = 3600) {
    for (const auto& rd : rdatas) records_.push_back({section, owner, type, ttl, rd});
    for (const TestKey* k : signers) {
      records_.push_back({section, owner, RRType::RRSIG, ttl,
                          k->sign(owner, type, ttl, rdatas, inception_, expiration_)});
    }
    return *this;
  }
  // Adds one raw record (e.g. a forged RRSIG).
  SignedResponse& raw(Section section, const Name& owner, RRType type, std::vector<uint8_t> rdata,
                      uint32_t ttl = 3600) {
    records_.push_back({section, owner, type, ttl, std::move(rdata)});
    return *this;
  }

  std::vector<uint8_t> packet(uint16_t id = 0) const {
    MessageBuilder b;
    b.set_header(id, flag::kQR | flag::kRD | flag::kRA | flag::kCD | to_u16_rcode(rcode_));
    (void)b.add_question(qname_, qtype_, RRClass::IN);
    for (Section s : {Section::Answer, Section::Authority, Section::Additional}) {
      for (const auto& r : records_) {
        if (r.section == s) (void)b.add_record(s, r.owner, r.type, RRClass::IN, r.ttl, r.rdata);
      }
    }
    EdnsOut e;
    e.flags = kEdnsDo;
    (void)b.add_opt(e);
    return b.finish();
  }

 private:
  static uint16_t to_u16_rcode(RCode r) { return static_cast<uint16_t>(r) & 0xF; }
  struct Rec {
    Section section;
    Name owner;
    RRType type;
    uint32_t ttl;
    std::vector<uint8_t> rdata;
  };
  Name qname_;
  RRType qtype_;
  RCode rcode_;
  uint32_t inception_;
  uint32_t expiration_;
  std::vector<Rec> records_;
};

}  // namespace dnsp::resolver::test
