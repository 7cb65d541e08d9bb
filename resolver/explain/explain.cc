#include "resolver/explain/explain.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "crypto/algorithm.h"
#include "crypto/base16.h"
#include "crypto/base32hex.h"
#include "crypto/public_key.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/verify/canonical.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/serial_time.h"

namespace dnsp::resolver {
namespace {

// ---------------------------------------------------------------------------------------
// Building the report from the evidence.

// RFC 4034 §4.1.2: the types of a type bit map, in order.
std::vector<std::string> type_list(std::span<const uint8_t> raw) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i + 2 <= raw.size()) {
    const unsigned window = raw[i];
    const size_t len = raw[i + 1];
    if (i + 2 + len > raw.size()) break;
    for (size_t octet = 0; octet < len; ++octet) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        if (raw[i + 2 + octet] & (0x80 >> bit)) {
          out.push_back(to_string(static_cast<RRType>(window * 256 + octet * 8 + bit)));
        }
      }
    }
    i += 2 + len;
  }
  return out;
}

// The TXT RDATA as quoted character-strings, escaping what is not printable ASCII.
std::string txt_text(std::span<const uint8_t> rdata) {
  std::string s;
  size_t i = 0;
  while (i < rdata.size()) {
    const size_t len = rdata[i++];
    if (i + len > rdata.size()) break;
    if (!s.empty()) s += ' ';
    s += '"';
    for (size_t j = 0; j < len; ++j) {
      const char c = static_cast<char>(rdata[i + j]);
      if (c == '"' || c == '\\') s += '\\';
      if (c >= 0x20 && c < 0x7f) {
        s += c;
      } else {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\%03u", static_cast<unsigned>(rdata[i + j]));
        s += esc;
      }
    }
    s += '"';
    i += len;
  }
  return s;
}

// Presentation form for the types people look at; RFC 3597 §5 generic form otherwise. Tests,
// not a switch: RRType is the open 16-bit type space, and a new type needs no words here.
std::string rdata_text(RRType type, std::span<const uint8_t> rdata) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (type == RRType::A) {
    if (rdata.size() == 4 && inet_ntop(AF_INET, rdata.data(), buf, sizeof buf)) return buf;
  } else if (type == RRType::AAAA) {
    if (rdata.size() == 16 && inet_ntop(AF_INET6, rdata.data(), buf, sizeof buf)) return buf;
  } else if (type == RRType::CNAME || type == RRType::DNAME || type == RRType::NS ||
             type == RRType::PTR) {
    if (auto n = parse_single_name(rdata)) return n->to_string();
  } else if (type == RRType::TXT) {
    return txt_text(rdata);
  }
  return "\\# " + std::to_string(rdata.size()) +
         (rdata.empty() ? "" : " " + crypto::base16_encode(rdata));
}

RrsigView rrsig_view(std::span<const uint8_t> rdata, int64_t now, const CheckedRrset& owner) {
  RrsigView v;
  auto sig = parse_rrsig(rdata);
  if (!sig) return v;
  v.covered = sig->type_covered;
  v.algorithm = sig->algorithm;
  v.key_tag = sig->key_tag;
  v.signer = sig->signer;
  v.inception = serial_to_unix(sig->inception, now);
  v.expiration = serial_to_unix(sig->expiration, now);
  v.window = v.expiration < now  ? RrsigWindow::Expired
             : v.inception > now ? RrsigWindow::NotYetValid
                                 : RrsigWindow::Valid;
  v.verified = owner.security == Security::Secure && owner.verified_by == sig->key_tag &&
               v.window == RrsigWindow::Valid && v.signer == owner.zone;
  return v;
}

std::vector<RrsigView> rrsig_views(const CheckedRrset& c, int64_t now) {
  std::vector<RrsigView> out;
  for (const auto& rd : c.rrsigs) out.push_back(rrsig_view(rd, now, c));
  return out;
}

CheckView check_view(const CheckedRrset& c) { return CheckView{c.security, c.reason, c.detail}; }

std::vector<DsView> ds_views(const Rdatas& rdatas, const std::vector<DsKeyMatch>& matches) {
  std::vector<DsView> out;
  bool has_sha256 = false;
  for (const auto& rd : rdatas) {
    auto ds = parse_ds(rd);
    if (ds && crypto::algorithm_supported(ds->algorithm) && ds->digest_type == 2) has_sha256 = true;
  }
  for (const auto& rd : rdatas) {
    auto ds = parse_ds(rd);
    if (!ds) continue;
    DsView v;
    v.key_tag = ds->key_tag;
    v.algorithm = ds->algorithm;
    v.digest_type = ds->digest_type;
    // The same rules as validate_dnskeys(): RFC 4035 §5.2, RFC 6840 §5.2, RFC 4509 §3.
    if (!crypto::algorithm_supported(ds->algorithm)) {
      v.note = "algorithm not implemented";
    } else if (!crypto::digest_supported(ds->digest_type)) {
      v.note = "digest type not implemented";
    } else if (has_sha256 && ds->digest_type == 1) {
      v.note = "SHA-1 ignored beside SHA-256 (RFC 4509 §3)";
    } else {
      v.usable = true;
    }
    for (const auto& m : matches) {
      if (!m.anchor_dnskey && m.ds_key_tag == ds->key_tag && m.algorithm == ds->algorithm &&
          m.digest_type == ds->digest_type) {
        v.matches_key = m.key_tag;
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<KeyView> key_views(const CheckedRrset& dnskeys,
                               const std::vector<DsKeyMatch>& matches) {
  std::vector<KeyView> out;
  for (const auto& rd : dnskeys.rdatas) {
    auto k = parse_dnskey(rd);
    if (!k) continue;
    KeyView v;
    v.key_tag = key_tag(rd);
    v.flags = k->flags;
    v.algorithm = k->algorithm;
    v.revoked = (k->flags & DnskeyRdata::kRevoke) != 0;
    auto decoded = crypto::PublicKey::decode(k->algorithm, k->public_key);
    if (decoded.status == crypto::KeyStatus::Ok) v.bits = decoded.key->bits();
    for (const auto& m : matches) {
      if (m.key_tag == v.key_tag && m.algorithm == v.algorithm) v.trusted = true;
    }
    v.signs_dnskey = dnskeys.security == Security::Secure && dnskeys.verified_by == v.key_tag;
    out.push_back(v);
  }
  return out;
}

DenialView denial_view(const DenialTrace& d, int64_t now) {
  DenialView v;
  v.purpose = d.purpose;
  v.qname = d.qname;
  v.qtype = d.qtype;
  v.zone = d.zone;
  v.kind = d.kind;
  v.detail = d.detail;
  for (const auto& r : d.records) {
    for (const auto& rd : r.rdatas) {
      ProofRecordView p;
      p.type = r.type;
      p.owner = r.owner;
      p.check = check_view(r);
      p.rrsigs = rrsig_views(r, now);
      if (r.type == RRType::NSEC) {
        if (auto n = parse_nsec(rd)) {
          p.next = n->next.to_string();
          p.types = type_list(n->types.raw);
        }
      } else if (auto n = parse_nsec3(rd)) {
        p.next = crypto::base32hex_encode(n->next_hashed);
        p.types = type_list(n->types.raw);
        p.opt_out = (n->flags & Nsec3Rdata::kOptOut) != 0;
        p.iterations = n->iterations;
        p.salt = n->salt.empty() ? "-" : crypto::base16_encode(n->salt);
      }
      v.records.push_back(std::move(p));
    }
  }
  return v;
}

ZoneView zone_view(const ZoneTrace& z, int64_t now) {
  ZoneView v;
  v.zone = z.zone;
  v.security = z.verdict.security;
  v.reason = z.verdict.reason;
  v.detail = z.verdict.detail;
  v.ds_source = z.ds_source;
  if (z.ds) {
    v.parent = z.ds->zone;
    v.ds_check = check_view(*z.ds);
    v.ds_rrsigs = rrsig_views(*z.ds, now);
  } else if (z.no_ds) {
    v.parent = z.no_ds->zone;
  }
  v.ds = ds_views(z.ds_rdatas, z.matches);
  if (z.dnskeys) {
    v.dnskeys_seen = true;
    v.keys = key_views(*z.dnskeys, z.matches);
    v.dnskey_check = check_view(*z.dnskeys);
    v.dnskey_rrsigs = rrsig_views(*z.dnskeys, now);
  }
  // The anchor's own DNSKEYs vouch for keys too.
  for (const auto& m : z.matches) {
    if (!m.anchor_dnskey) continue;
    for (auto& k : v.keys) {
      if (k.key_tag == m.key_tag) k.trusted = true;
    }
  }
  if (z.no_ds) v.no_ds = denial_view(*z.no_ds, now);
  return v;
}

RrsetView rrset_view(const CheckedRrset& c, int64_t now) {
  RrsetView v;
  v.owner = c.owner;
  v.type = c.type;
  v.ttl = c.ttl;
  for (const auto& rd : c.rdatas) v.records.push_back(rdata_text(c.type, rd));
  v.zone = c.zone;
  v.security = c.security;
  v.reason = c.reason;
  v.detail = c.detail;
  v.rrsigs = rrsig_views(c, now);
  return v;
}

int exit_code_for(Security s) {
  switch (s) {
    case Security::Secure:
      return kExplainSecure;
    case Security::Insecure:
      return kExplainInsecure;
    case Security::Bogus:
      return kExplainBogus;
    case Security::Indeterminate:
      return kExplainUnresolved;
  }
  return kExplainUnresolved;
}

// ---------------------------------------------------------------------------------------
// Causes: plain words for what is wrong, and what to do about it.

std::string join_and(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += i + 1 == items.size() ? " and " : ", ";
    s += items[i];
  }
  return s;
}

std::string alg(uint8_t a) { return crypto::algorithm_name(a); }

const ZoneView* find_zone_view(const Report& r, const Name& zone) {
  for (const auto& z : r.zones) {
    if (z.zone == zone) return &z;
  }
  return nullptr;
}

// The RRset whose signatures failed for `reason`: a zone's DNSKEY or DS RRset, an answer
// RRset or an NSEC/NSEC3 RRset.
struct Failing {
  Name owner;
  RRType type = RRType::A;
  Name zone;
  const std::vector<RrsigView>* rrsigs = nullptr;
};

std::optional<Failing> find_failing(const Report& r, Reason reason) {
  for (const auto& z : r.zones) {
    if (z.dnskey_check.security == Security::Bogus && z.dnskey_check.reason == reason)
      return Failing{z.zone, RRType::DNSKEY, z.zone, &z.dnskey_rrsigs};
    if (z.ds_check.security == Security::Bogus && z.ds_check.reason == reason)
      return Failing{z.zone, RRType::DS, z.parent.value_or(z.zone), &z.ds_rrsigs};
  }
  for (const auto& a : r.answer) {
    if (a.security == Security::Bogus && a.reason == reason)
      return Failing{a.owner, a.type, a.zone, &a.rrsigs};
  }
  for (const auto& d : r.denials) {
    for (const auto& p : d.records) {
      if (p.check.security == Security::Bogus && p.check.reason == reason)
        return Failing{p.owner, p.type, d.zone, &p.rrsigs};
    }
  }
  for (const auto& z : r.zones) {
    if (!z.no_ds) continue;
    for (const auto& p : z.no_ds->records) {
      if (p.check.security == Security::Bogus && p.check.reason == reason)
        return Failing{p.owner, p.type, z.no_ds->zone, &p.rrsigs};
    }
  }
  return std::nullopt;
}

std::string rrset_words(const Failing& f) {
  if (f.type == RRType::DNSKEY) return "the DNSKEY RRset of " + f.owner.to_string();
  if (f.type == RRType::DS) return "the DS RRset of " + f.owner.to_string();
  return f.owner.to_string() + " " + to_string(f.type);
}

// "NSEC" or "NSEC3", from the records a proof used.
std::string proof_type(const DenialView& d) {
  for (const auto& p : d.records) {
    if (p.type == RRType::NSEC3) return "NSEC3";
  }
  return "NSEC";
}

struct Cause {
  std::string cause;
  std::string next;
};

Cause bogus_cause(const Report& r) {
  const Verdict& v = r.verdict;
  const ZoneView* z = find_zone_view(r, v.zone);
  const std::string zone = v.zone.to_string();
  switch (v.reason) {
    case Reason::NoDnskeyMatchesDs: {
      // The zone whose DS failed: the verdict names the zone itself.
      if (z == nullptr) break;
      std::vector<std::string> named, published, ksks;
      for (const auto& d : z->ds) {
        if (d.usable) named.push_back(std::to_string(d.key_tag) + " (" + alg(d.algorithm) + ")");
      }
      // In key tag order: upstreams may rotate the order of an RRset's records (Unbound's
      // rrset-roundrobin), and the same zone must give the same sentence each time.
      std::vector<KeyView> keys = z->keys;
      std::sort(keys.begin(), keys.end(),
                [](const KeyView& a, const KeyView& b) { return a.key_tag < b.key_tag; });
      for (const auto& k : keys) {
        published.push_back(std::to_string(k.key_tag));
        if (k.flags & DnskeyRdata::kSep) ksks.push_back(std::to_string(k.key_tag));
      }
      if (ksks.empty()) ksks = published;
      const std::string keys_text =
          published.empty() ? "publishes no DNSKEY"
                            : std::string("publishes only ") +
                                  (published.size() == 1 ? "key " : "keys ") + join_and(published);
      if (z->ds_source == DsSource::TrustAnchor) {
        return {"The trust anchor for " + zone + " names " +
                    (named.size() == 1 ? "key " : "keys ") + join_and(named) + " but " + zone +
                    " " + keys_text + ": the trust anchor is out of date (a KSK rollover?).",
                "Update the trust anchor file (--trust-anchor or [dnssec] trust_anchor_file) "
                "with the zone's current KSK" +
                    (ksks.empty() ? std::string() : " (key " + join_and(ksks) + ")") + "."};
      }
      const std::string parent = z->parent ? z->parent->to_string() : "the parent";
      return {"DS at " + parent + " names " + (named.size() == 1 ? "key " : "keys ") +
                  join_and(named) + " but " + zone + " " + keys_text +
                  ": the DS at the registrar was not updated after a key or provider change.",
              "Publish the DS of the current KSK" +
                  (ksks.empty() ? std::string() : " (key " + join_and(ksks) + ")") +
                  " at the registrar, or remove the old one."};
    }
    case Reason::DnskeyNotSignedByDsKey: {
      std::vector<std::string> trusted, signers;
      if (z != nullptr) {
        for (const auto& k : z->keys) {
          if (k.trusted) trusted.push_back(std::to_string(k.key_tag));
        }
        for (const auto& s : z->dnskey_rrsigs) signers.push_back(std::to_string(s.key_tag));
      }
      return {
          "The DS names key " + join_and(trusted) + ", which " + zone +
              " publishes, but its DNSKEY RRset is signed " +
              (signers.empty() ? std::string("by no key") : "only by key " + join_and(signers)) +
              ": a KSK rollover left the DS and the signing key out of step.",
          "Sign the DNSKEY RRset of " + zone +
              " with the key the DS names, or publish the DS of the key that signs it."};
    }
    case Reason::DnskeyMissing:
      return {zone + " has a DS at its parent but no DNSKEY RRset came back for it (" + v.detail +
                  "): its servers do not serve the zone signed.",
              "Check that the servers of " + zone +
                  " serve its DNSKEY RRset; if the zone moved to a provider that does not sign "
                  "it, remove the DS at the registrar."};
    case Reason::SignatureExpired: {
      auto f = find_failing(r, v.reason);
      int64_t latest = 0;
      if (f && f->rrsigs != nullptr) {
        for (const auto& s : *f->rrsigs) latest = std::max(latest, s.expiration);
      }
      if (!f || latest == 0) break;
      return {"The RRSIG over " + rrset_words(*f) + " expired " + format_duration(r.now - latest) +
                  " ago (" + format_utc(latest) + "): the zone is no longer being re-signed.",
              "Re-sign " + f->zone.to_string() +
                  " and check that its signer runs: signatures must be refreshed before they "
                  "expire. If this machine's clock is wrong (it says " +
                  format_utc(r.now) + "), fix it."};
    }
    case Reason::SignatureNotYetValid: {
      auto f = find_failing(r, v.reason);
      int64_t earliest = 0;
      if (f && f->rrsigs != nullptr) {
        for (const auto& s : *f->rrsigs) {
          if (earliest == 0 || s.inception < earliest) earliest = s.inception;
        }
      }
      if (!f || earliest == 0) break;
      return {"The RRSIG over " + rrset_words(*f) + " is not valid until " + format_utc(earliest) +
                  " (in " + format_duration(earliest - r.now) +
                  "): it was made with an inception date in the future.",
              "Check the clock of the signer of " + f->zone.to_string() +
                  " and of this machine (it says " + format_utc(r.now) +
                  "), and re-sign with an inception in the past."};
    }
    case Reason::SignatureInvalid:
      return {"The " + v.detail + ": the data or the signature was changed after signing.",
              "Re-sign " + zone +
                  ". If its servers answer with a good signature (dig +dnssec @server), "
                  "something on the path alters answers."};
    case Reason::RrsigsMissing: {
      if (z != nullptr && z->dnskeys_seen && z->dnskey_check.reason == Reason::RrsigsMissing) {
        std::vector<std::string> trusted;
        for (const auto& d : z->ds) {
          if (d.usable) trusted.push_back(std::to_string(d.key_tag));
        }
        return {"The DNSKEY RRset of " + zone +
                    " comes without RRSIGs: nothing vouches for the zone's keys.",
                "Re-sign " + zone + " so that the KSK the DS names" +
                    (trusted.empty() ? std::string() : " (key " + join_and(trusted) + ")") +
                    " signs the DNSKEY RRset."};
      }
      auto f = find_failing(r, v.reason);
      if (f && f->type != RRType::DNSKEY && f->type != RRType::DS) {
        return {rrset_words(*f) + " comes without an RRSIG although " + f->zone.to_string() +
                    " is signed: it was added or changed without re-signing, or something on the "
                    "path strips signatures.",
                "Re-sign " + f->zone.to_string() +
                    " so that every RRset is signed, and check that the upstream passes RRSIGs "
                    "(dig +dnssec)."};
      }
      return {"Signatures are missing: " + v.detail + ".",
              "Re-sign " + zone + " and check that the upstream passes RRSIGs (dig +dnssec)."};
    }
    case Reason::UpstreamStripsDnssec:
      return {
          "Upstream " + r.upstreams + " returned no RRSIG for " +
              (v.zone.is_root() ? std::string("the root DNSKEY") : "the DNSKEY RRset of " + zone) +
              ": it strips DNSSEC records, so nothing can be validated through it.",
          "Use an upstream that passes DNSSEC records through (RRSIGs in its answers to "
          "queries with DO=1), or run a recursive resolver of your own."};
    case Reason::NoMatchingKey:
      return {"The " + v.detail +
                  ": the zone was signed with a key that is not (or no longer) in its DNSKEY "
                  "RRset.",
              "Publish that key again, or re-sign " + zone + " with a published key."};
    case Reason::NsecMissing:
      return {"A denial of existence comes without its proof: " + v.detail + ".",
              "Check that the upstream passes NSEC/NSEC3 records (DO=1) and that the servers of " +
                  zone + " return them; re-sign the zone if its NSEC/NSEC3 chain is missing."};
    case Reason::DenialNotProven:
      return {"The NSEC/NSEC3 records do not prove the denial: " + v.detail + ".",
              "Re-sign " + zone + " to rebuild its NSEC/NSEC3 chain."};
    case Reason::BadSigner:
      return {"An RRSIG names the wrong signer: " + v.detail + ".",
              "Re-sign the data with the keys of the zone that holds it."};
    case Reason::NoZoneKeyBit:
      return {"The key the DS names is not a zone key (flags bit 7 clear): " + v.detail + ".",
              "Publish the DNSKEY with the Zone Key flag set (flags 256 or 257)."};
    case Reason::TooMuchWork:
      return {"Validation gave up: " + v.detail + ".",
              "The answer needs more work than the validator allows (a very long chain, or an "
              "answer built to exhaust validators): check the zones on the way."};
    case Reason::CryptoError:
      return {"The cryptographic library failed on a signature: " + v.detail + ".",
              "Run with --log-level debug to see the OpenSSL error."};
    case Reason::MalformedData:
      return {"Records do not parse: " + v.detail + ".",
              "Check what the upstream returns with dig +dnssec +cd."};
    case Reason::InconsistentAnswer:
      return {"The reply contradicts its own validated records: " + v.detail + ".",
              "Something between here and " + zone +
                  " rewrites replies (the upstream, or an on-path attacker): compare dig "
                  "+dnssec +cd through the upstream with the zone's servers."};
    // Not reasons for a bogus verdict: the general words below.
    case Reason::None:
    case Reason::NoTrustAnchor:
    case Reason::UnsignedDelegation:
    case Reason::OptOutDelegation:
    case Reason::UnsupportedAlgorithm:
    case Reason::UnsupportedDigest:
    case Reason::Nsec3IterationsTooHigh:
    case Reason::NegativeTrustAnchor:
    case Reason::DenialNotChecked:
      break;
  }
  return {"The answer is bogus: " + ede_text(v) + ".",
          "Check " + zone + " with dig +dnssec +cd at its servers."};
}

Cause insecure_cause(const Report& r) {
  const Verdict& v = r.verdict;
  const ZoneView* z = find_zone_view(r, v.zone);
  const std::string zone = v.zone.to_string();
  const std::string parent =
      z != nullptr && z->parent ? z->parent->to_string() : std::string("its parent");
  switch (v.reason) {
    case Reason::UnsignedDelegation: {
      const std::string how = z != nullptr && z->no_ds ? " with " + proof_type(*z->no_ds) : "";
      return {zone + " is unsigned: " + parent + " proves" + how +
                  " that there is no DS. Answers are insecure, not bogus.",
              "Nothing is broken. To protect " + zone + ", sign it and publish its DS in " +
                  parent + " (at the registrar)."};
    }
    case Reason::OptOutDelegation:
      if (z != nullptr && z->reason == Reason::OptOutDelegation && z->no_ds) {
        return {zone + " is unsigned: " + parent +
                    " proves with NSEC3 that there is no signed delegation (an opt-out span "
                    "covers it). Answers are insecure, not bogus.",
                "Nothing is broken. To protect " + zone + ", sign it and publish its DS in " +
                    parent + " (at the registrar)."};
      }
      return {"The denial for " + r.question.name.to_string() + " " + to_string(r.question.type) +
                  " rests on an NSEC3 opt-out span of " + zone +
                  ": an unsigned delegation could exist there (RFC 5155 §9.2). The answer is "
                  "insecure, not bogus.",
              "Nothing is broken. For signed denials, re-sign " + zone + " without opt-out."};
    case Reason::UnsupportedAlgorithm: {
      std::vector<std::string> algs;
      if (z != nullptr) {
        for (const auto& d : z->ds) {
          const std::string a = alg(d.algorithm) + " (" + std::to_string(d.algorithm) + ")";
          if (std::find(algs.begin(), algs.end(), a) == algs.end()) algs.push_back(a);
        }
      }
      return {"The DS at " + parent + " for " + zone + " names only algorithm " + join_and(algs) +
                  ", which this validator does not implement: " + zone +
                  " is treated as unsigned (RFC 4035 §5.2). Answers are insecure, not bogus.",
              "To have it validated, sign " + zone +
                  " with a supported algorithm (ECDSAP256SHA256 or ED25519) and publish that DS."};
    }
    case Reason::UnsupportedDigest: {
      std::vector<std::string> digests;
      if (z != nullptr) {
        for (const auto& d : z->ds) {
          const std::string t =
              std::to_string(d.digest_type) + " (" + crypto::digest_name(d.digest_type) + ")";
          if (std::find(digests.begin(), digests.end(), t) == digests.end()) digests.push_back(t);
        }
      }
      return {"The DS at " + parent + " for " + zone + " uses only digest type " +
                  join_and(digests) + ", which this validator does not implement: " + zone +
                  " is treated as unsigned (RFC 4035 §5.2). Answers are insecure, not bogus.",
              "Publish a SHA-256 DS (digest type 2) for " + zone + " at the registrar."};
    }
    case Reason::Nsec3IterationsTooHigh: {
      uint16_t iterations = 0;
      for (const auto& d : r.denials) {
        for (const auto& p : d.records) iterations = std::max(iterations, p.iterations);
      }
      if (z != nullptr && z->no_ds) {
        for (const auto& p : z->no_ds->records) iterations = std::max(iterations, p.iterations);
      }
      return {zone + " uses NSEC3 with " +
                  (iterations > 0 ? std::to_string(iterations) : std::string("more")) +
                  " iterations, more than the " + std::to_string(r.nsec3_iteration_limit) +
                  " this validator accepts (RFC 9276 §3.2): its "
                  "denials are insecure, not bogus.",
              "Re-sign " + zone + " with NSEC3 iterations 0 and an empty salt (RFC 9276 §3.1)."};
    }
    case Reason::NegativeTrustAnchor: {
      // RFC 7646 §9: an NTA is meant to be removed once the zone is fixed; say whether it is.
      const std::string q = r.question.name.to_string();
      std::string now;
      std::string next = "Remove " + zone +
                         " from [dnssec] negative_trust_anchors once its DNSSEC is fixed "
                         "(RFC 7646 §9: negative trust anchors are meant to be temporary).";
      if (!r.without_negative_anchor) {
        now = " Validation without it could not finish (a DS or DNSKEY did not come back).";
      } else if (r.without_negative_anchor->security == Security::Secure) {
        now = " Without it the answer validates as secure now.";
        next = "Remove " + zone +
               " from [dnssec] negative_trust_anchors: it is no longer needed (RFC 7646 §9).";
      } else if (r.without_negative_anchor->security == Security::Bogus) {
        now =
            " Without it the answer would be bogus: " + ede_text(*r.without_negative_anchor) + ".";
      } else {
        now = " Without it the answer would be " +
              std::string(to_string(r.without_negative_anchor->security)) +
              " too: " + ede_text(*r.without_negative_anchor) + ".";
      }
      return {q + " is at or below the negative trust anchor " + zone +
                  " ([dnssec] negative_trust_anchors, RFC 7646): the proxy does not validate "
                  "it, so answers are insecure whatever their signatures say." +
                  now,
              next};
    }
    case Reason::NoTrustAnchor:
      return {"No trust anchor covers " + r.question.name.to_string() +
                  ": nothing is validated, every answer is insecure.",
              "Name a trust anchor file with --trust-anchor or [dnssec] trust_anchor_file, or "
              "remove the setting to use the built-in root anchors."};
    // Not reasons for an insecure verdict: the general words below.
    case Reason::None:
    case Reason::DenialNotChecked:
    case Reason::SignatureExpired:
    case Reason::SignatureNotYetValid:
    case Reason::SignatureInvalid:
    case Reason::RrsigsMissing:
    case Reason::NoMatchingKey:
    case Reason::DnskeyMissing:
    case Reason::NoDnskeyMatchesDs:
    case Reason::DnskeyNotSignedByDsKey:
    case Reason::NoZoneKeyBit:
    case Reason::NsecMissing:
    case Reason::DenialNotProven:
    case Reason::BadSigner:
    case Reason::UpstreamStripsDnssec:
    case Reason::TooMuchWork:
    case Reason::CryptoError:
    case Reason::MalformedData:
    case Reason::InconsistentAnswer:
      break;
  }
  return {"The answer is insecure: " + ede_text(v) + ".",
          "Nothing is broken; the data is simply not signed."};
}

Cause unresolved_cause(const Report& r, const ExplainInput& in) {
  const std::string& failed_query = in.failed_query;
  const uint32_t timeout_ms = in.query_timeout_ms;
  const std::string q = failed_query.empty()
                            ? r.question.name.to_string() + " " + to_string(r.question.type)
                            : failed_query;
  const std::string dig_hint = "dig " + in.dig_server + " +dnssec +cd " +
                               r.question.name.to_string() + " " + to_string(r.question.type);
  switch (r.failure) {
    case FetchFailure::Timeout:
      return {"Upstream " + r.upstreams + " did not answer in time; no answer to " + q + ".",
              "Check that the upstream is reachable and answers: " + dig_hint + "."};
    case FetchFailure::Deadline:
      return {"No complete answer from upstream " + r.upstreams + " within " +
                  std::to_string(timeout_ms) +
                  " ms (upstream.query_timeout_ms); still waiting for " + q + ".",
              "Check that the upstream is reachable and answers quickly: " + dig_hint + "."};
    case FetchFailure::Unreachable:
      return {"Upstream " + r.upstreams +
                  " is unreachable (connection refused or a network error); no answer to " + q +
                  ".",
              "Check the address and port of the upstream and that it runs: " + dig_hint + "."};
    case FetchFailure::ServerFailed:
      return {
          "Every upstream answered SERVFAIL, REFUSED or NOTIMP to " + q + ".",
          "The upstream itself cannot resolve the name, or refuses this host: " + dig_hint + "."};
    case FetchFailure::BadReply:
    case FetchFailure::Malformed:
      return {"Upstream " + r.upstreams + " sent no usable reply to " + q + ".",
              "Check what the upstream returns: " + dig_hint + "."};
    case FetchFailure::None:
      break;
  }
  return {"Nothing to validate: " + r.verdict.detail + ".",
          "Check that the upstream answers recursive queries from this host: " + dig_hint + "."};
}

// A sentence that ends in a domain name ends in one dot, not two: "Re-sign example.com."
std::string end_sentences(std::string text) {
  for (size_t p = text.find(".."); p != std::string::npos; p = text.find("..", p)) {
    text.erase(p, 1);
  }
  return text;
}

}  // namespace

std::string_view KeyView::role() const {
  if (!(flags & DnskeyRdata::kZoneKey)) return "not a zone key";
  return (flags & DnskeyRdata::kSep) ? "KSK" : "ZSK";
}

std::string format_duration(int64_t seconds) {
  if (seconds < 0) seconds = -seconds;
  const auto unit = [](int64_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  if (seconds >= 2 * 86400) return unit(seconds / 86400, "day");
  if (seconds >= 2 * 3600) return unit(seconds / 3600, "hour");
  if (seconds >= 2 * 60) return unit(seconds / 60, "minute");
  return unit(seconds, "second");
}

std::optional<ExtendedError> daemon_ede(const Verdict& v, std::string_view upstreams) {
  return reply_ede(v, upstreams);
}

Report build_report(const ExplainInput& in) {
  Report r;
  r.question = in.question;
  r.now = in.now;
  r.upstreams = in.upstreams;
  r.nsec3_iteration_limit = in.nsec3_iteration_limit;
  if (in.answer != nullptr) r.rcode = in.answer->rcode();
  if (in.evidence != nullptr) {
    for (const auto& z : in.evidence->zones) r.zones.push_back(zone_view(z, in.now));
    // From the trust anchor down: parents before children.
    std::stable_sort(r.zones.begin(), r.zones.end(), [](const ZoneView& a, const ZoneView& b) {
      return a.zone.label_count() < b.zone.label_count();
    });
    for (const auto& a : in.evidence->answer) r.answer.push_back(rrset_view(a, in.now));
    for (const auto& d : in.evidence->denials) r.denials.push_back(denial_view(d, in.now));
  }
  if (in.negative_anchor && in.answer != nullptr) {
    // The daemon answers with the data as it came, unvalidated (proxy/server.cc on_answer).
    r.verdict = negative_anchor_verdict(*in.negative_anchor);
    r.without_negative_anchor = in.verdict;
    r.ede = daemon_ede(r.verdict, in.upstreams);
  } else if (in.verdict) {
    r.verdict = *in.verdict;
    r.ede = daemon_ede(r.verdict, in.upstreams);
  } else {
    r.failure = in.failure == FetchFailure::None ? FetchFailure::BadReply : in.failure;
    const ExtendedError ede = failure_ede(r.failure, in.upstreams, in.query_timeout_ms);
    r.verdict = Verdict{Security::Indeterminate, Reason::None, in.question.name, ede.text};
    r.ede = ede;
  }
  r.exit_code = exit_code_for(r.verdict.security);
  Cause c;
  switch (r.verdict.security) {
    case Security::Secure:
      break;
    case Security::Bogus:
      c = bogus_cause(r);
      break;
    case Security::Insecure:
      c = insecure_cause(r);
      break;
    case Security::Indeterminate:
      c = unresolved_cause(r, in);
      break;
  }
  r.cause = end_sentences(std::move(c.cause));
  r.next_step = end_sentences(std::move(c.next));
  return r;
}

std::string_view ede_name(EdeCode code) {
  switch (code) {
    case EdeCode::Other:
      return "Other Error";
    case EdeCode::UnsupportedDnskeyAlgorithm:
      return "Unsupported DNSKEY Algorithm";
    case EdeCode::UnsupportedDsDigestType:
      return "Unsupported DS Digest Type";
    case EdeCode::StaleAnswer:
      return "Stale Answer";
    case EdeCode::ForgedAnswer:
      return "Forged Answer";
    case EdeCode::DnssecIndeterminate:
      return "DNSSEC Indeterminate";
    case EdeCode::DnssecBogus:
      return "DNSSEC Bogus";
    case EdeCode::SignatureExpired:
      return "Signature Expired";
    case EdeCode::SignatureNotYetValid:
      return "Signature Not Yet Valid";
    case EdeCode::DnskeyMissing:
      return "DNSKEY Missing";
    case EdeCode::RrsigsMissing:
      return "RRSIGs Missing";
    case EdeCode::NoZoneKeyBitSet:
      return "No Zone Key Bit Set";
    case EdeCode::NsecMissing:
      return "NSEC Missing";
    case EdeCode::CachedError:
      return "Cached Error";
    case EdeCode::NotReady:
      return "Not Ready";
    case EdeCode::Blocked:
      return "Blocked";
    case EdeCode::Censored:
      return "Censored";
    case EdeCode::Filtered:
      return "Filtered";
    case EdeCode::Prohibited:
      return "Prohibited";
    case EdeCode::StaleNxdomainAnswer:
      return "Stale NXDOMAIN Answer";
    case EdeCode::NotAuthoritative:
      return "Not Authoritative";
    case EdeCode::NotSupported:
      return "Not Supported";
    case EdeCode::NoReachableAuthority:
      return "No Reachable Authority";
    case EdeCode::NetworkError:
      return "Network Error";
    case EdeCode::InvalidData:
      return "Invalid Data";
    case EdeCode::UnsupportedNsec3Iterations:
      return "Unsupported NSEC3 Iterations Value";
  }
  return "Unknown";
}

std::string_view reason_id(Reason r) {
  switch (r) {
    case Reason::None:
      return "none";
    case Reason::NoTrustAnchor:
      return "no_trust_anchor";
    case Reason::UnsignedDelegation:
      return "unsigned_delegation";
    case Reason::OptOutDelegation:
      return "opt_out_delegation";
    case Reason::UnsupportedAlgorithm:
      return "unsupported_algorithm";
    case Reason::UnsupportedDigest:
      return "unsupported_digest";
    case Reason::Nsec3IterationsTooHigh:
      return "nsec3_iterations_too_high";
    case Reason::NegativeTrustAnchor:
      return "negative_trust_anchor";
    case Reason::DenialNotChecked:
      return "denial_not_checked";
    case Reason::SignatureExpired:
      return "signature_expired";
    case Reason::SignatureNotYetValid:
      return "signature_not_yet_valid";
    case Reason::SignatureInvalid:
      return "signature_invalid";
    case Reason::RrsigsMissing:
      return "rrsigs_missing";
    case Reason::NoMatchingKey:
      return "no_matching_key";
    case Reason::DnskeyMissing:
      return "dnskey_missing";
    case Reason::NoDnskeyMatchesDs:
      return "no_dnskey_matches_ds";
    case Reason::DnskeyNotSignedByDsKey:
      return "dnskey_not_signed_by_ds_key";
    case Reason::NoZoneKeyBit:
      return "no_zone_key_bit";
    case Reason::NsecMissing:
      return "nsec_missing";
    case Reason::DenialNotProven:
      return "denial_not_proven";
    case Reason::BadSigner:
      return "bad_signer";
    case Reason::UpstreamStripsDnssec:
      return "upstream_strips_dnssec";
    case Reason::TooMuchWork:
      return "too_much_work";
    case Reason::CryptoError:
      return "crypto_error";
    case Reason::MalformedData:
      return "malformed_data";
    case Reason::InconsistentAnswer:
      return "inconsistent_answer";
  }
  return "none";
}

std::string_view denial_kind_id(DenialKind k) {
  switch (k) {
    case DenialKind::NxDomain:
      return "nxdomain";
    case DenialKind::NoData:
      return "nodata";
    case DenialKind::WildcardNoData:
      return "wildcard_nodata";
    case DenialKind::NoDs:
      return "no_ds";
    case DenialKind::OptOut:
      return "opt_out";
    case DenialKind::NotACut:
      return "not_a_cut";
    case DenialKind::WildcardAnswerOk:
      return "wildcard_answer";
    case DenialKind::NotProven:
      return "not_proven";
    case DenialKind::UnsupportedIterations:
      return "unsupported_iterations";
  }
  return "not_proven";
}

std::string_view failure_id(FetchFailure f) {
  switch (f) {
    case FetchFailure::None:
      return "none";
    case FetchFailure::Timeout:
      return "timeout";
    case FetchFailure::Deadline:
      return "deadline";
    case FetchFailure::Unreachable:
      return "unreachable";
    case FetchFailure::ServerFailed:
      return "server_failed";
    case FetchFailure::BadReply:
      return "bad_reply";
    case FetchFailure::Malformed:
      return "malformed";
  }
  return "none";
}

// ---------------------------------------------------------------------------------------
// Text.

namespace {

class Painter {
 public:
  explicit Painter(Color c) : on_(c == Color::On) {}
  std::string paint(std::string_view code, std::string_view text) const {
    if (!on_) return std::string(text);
    return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
  }
  std::string bold(std::string_view t) const { return paint("1", t); }
  std::string dim(std::string_view t) const { return paint("2", t); }
  std::string security(Security s) const {
    const std::string_view word = to_string(s);
    switch (s) {
      case Security::Secure:
        return paint("1;32", word);
      case Security::Insecure:
        return paint("1;33", word);
      case Security::Bogus:
        return paint("1;31", word);
      case Security::Indeterminate:
        return paint("1;35", word);
    }
    return std::string(word);
  }

 private:
  bool on_;
};

std::string rrsig_line(const RrsigView& s, int64_t now, const Painter& p) {
  std::string line = "RRSIG  " + to_string(s.covered) + " by " + s.signer.to_string() + " key " +
                     std::to_string(s.key_tag) + " " + alg(s.algorithm) + "  " +
                     p.dim(format_utc(s.inception) + " .. " + format_utc(s.expiration)) + "  ";
  switch (s.window) {
    case RrsigWindow::Valid:
      line += format_duration(s.expiration - now) + " left";
      break;
    case RrsigWindow::Expired:
      line += p.paint("31", "expired " + format_duration(now - s.expiration) + " ago");
      break;
    case RrsigWindow::NotYetValid:
      line += p.paint("31", "not valid for " + format_duration(s.inception - now));
      break;
  }
  if (s.verified) line += "  " + p.paint("32", "verified");
  return line;
}

std::string check_suffix(const CheckView& c, const Painter& p) {
  if (c.security == Security::Bogus) return "  " + p.paint("31", "failed: " + c.detail);
  return "";
}

void denial_lines(std::string& out, const DenialView& d, int64_t now, const Painter& p,
                  const std::string& indent) {
  for (const auto& rec : d.records) {
    std::string line =
        indent + to_string(rec.type) + "  " + rec.owner.to_string() + " -> " + rec.next + "  [";
    for (size_t i = 0; i < rec.types.size(); ++i) line += (i ? " " : "") + rec.types[i];
    line += "]";
    if (rec.type == RRType::NSEC3) {
      line += "  iterations " + std::to_string(rec.iterations) + " salt " + rec.salt;
      if (rec.opt_out) line += " opt-out";
    }
    out += line + check_suffix(rec.check, p) + "\n";
    for (const auto& s : rec.rrsigs) out += indent + "  " + rrsig_line(s, now, p) + "\n";
  }
  out += indent + "proof: " + (d.detail.empty() ? std::string("none") : d.detail) + "\n";
}

}  // namespace

std::string render_text(const Report& r, Color color) {
  const Painter p(color);
  std::string out;
  out += p.bold(r.question.name.to_string() + " " + to_string(r.question.type)) + "  " +
         p.dim("upstream " + r.upstreams + ", " + format_utc(r.now)) + "\n";
  for (const auto& z : r.zones) {
    std::string source;
    switch (z.ds_source) {
      case DsSource::TrustAnchor:
        source = "trust anchor";
        break;
      case DsSource::Parent:
        source = "DS at " + (z.parent ? z.parent->to_string() : std::string("parent"));
        break;
      case DsSource::KeyCache:
        source = "from the key cache";
        break;
      case DsSource::None:
        source = z.no_ds ? "no DS at " + z.no_ds->zone.to_string() : std::string("no DS");
        break;
    }
    out += "\n" + p.bold("zone " + z.zone.to_string()) + "  " + p.security(z.security) + "  " +
           p.dim("(" + source + ")") + "\n";
    for (const auto& d : z.ds) {
      std::string line = "  DS     tag " + std::to_string(d.key_tag) + " " + alg(d.algorithm) +
                         " " + crypto::digest_name(d.digest_type);
      if (!d.usable) {
        line += "  " + p.paint("33", "ignored: " + d.note);
      } else if (d.matches_key) {
        line += "  -> " + p.paint("32", "matches key " + std::to_string(*d.matches_key));
      } else if (z.dnskeys_seen) {
        line += "  -> " + p.paint("31", "matches no DNSKEY");
      }
      out += line + "\n";
    }
    if (!z.ds.empty() && z.ds_source == DsSource::Parent) {
      if (z.ds_rrsigs.empty()) out += "  " + p.paint("31", "DS RRset without RRSIG") + "\n";
      for (const auto& s : z.ds_rrsigs) out += "  " + rrsig_line(s, r.now, p) + "\n";
      if (z.ds_check.security == Security::Bogus)
        out += "  " + p.paint("31", "failed: " + z.ds_check.detail) + "\n";
    }
    for (const auto& k : z.keys) {
      std::string line =
          "  DNSKEY tag " + std::to_string(k.key_tag) + " flags " + std::to_string(k.flags) + " " +
          std::string(k.role()) + " " + alg(k.algorithm) + " " +
          (k.bits > 0 ? std::to_string(k.bits) + " bits" : std::string("(not decoded)"));
      if (k.revoked) line += " REVOKED";
      std::vector<std::string> marks;
      if (k.trusted)
        marks.push_back(z.ds_source == DsSource::TrustAnchor ? "anchored" : "DS match");
      if (k.signs_dnskey) marks.push_back("signs the DNSKEY RRset");
      if (!marks.empty()) {
        line +=
            "  " + p.paint("32", "[" + marks[0] + (marks.size() > 1 ? ", " + marks[1] : "") + "]");
      }
      out += line + "\n";
    }
    if (z.dnskeys_seen && z.dnskey_rrsigs.empty())
      out += "  " + p.paint("31", "DNSKEY RRset without RRSIG") + "\n";
    for (const auto& s : z.dnskey_rrsigs) out += "  " + rrsig_line(s, r.now, p) + "\n";
    if (!z.dnskeys_seen && (!z.ds.empty() || z.ds_source == DsSource::TrustAnchor) &&
        z.security != Security::Insecure)
      out += "  " + p.paint("31", "no DNSKEY RRset") + "\n";
    if (z.no_ds) {
      out += "  no DS, proven by " + z.no_ds->zone.to_string() + ":\n";
      denial_lines(out, *z.no_ds, r.now, p, "    ");
    }
    if (z.security != Security::Secure && !z.detail.empty())
      out += "  " + p.paint(z.security == Security::Bogus ? "31" : "33", "=> " + z.detail) + "\n";
  }
  out += "\n" + p.bold("answer") + "  " +
         (r.rcode ? to_string(*r.rcode) : std::string("(no answer)")) + "\n";
  for (const auto& a : r.answer) {
    std::string records;
    for (size_t i = 0; i < a.records.size(); ++i) records += (i ? ", " : "") + a.records[i];
    std::string state =
        a.security == Security::Indeterminate ? p.dim("not checked") : p.security(a.security);
    out += "  " + a.owner.to_string() + " " + std::to_string(a.ttl) + " " + to_string(a.type) +
           " " + records + "  " + state + "\n";
    if (a.rrsigs.empty()) out += "    " + p.dim("no RRSIG") + "\n";
    for (const auto& s : a.rrsigs) out += "    " + rrsig_line(s, r.now, p) + "\n";
    if (a.security == Security::Bogus) out += "    " + p.paint("31", "failed: " + a.detail) + "\n";
  }
  for (const auto& d : r.denials) {
    const char* what = d.purpose == DenialPurpose::WildcardAnswer ? "wildcard proof"
                       : d.purpose == DenialPurpose::NoDs         ? "no-DS proof"
                                                                  : "denial";
    out += "\n" + p.bold(std::string(what)) + "  " + d.qname.to_string() + " " +
           to_string(d.qtype) + " in " + d.zone.to_string() + ": " +
           std::string(denial_kind_id(d.kind)) + "\n";
    denial_lines(out, d, r.now, p, "  ");
  }
  out += "\n" + p.bold("verdict") + "  " + p.security(r.verdict.security) + "\n";
  if (r.ede) {
    out += p.bold("EDE") + "      " + std::to_string(static_cast<int>(r.ede->code)) + " (" +
           std::string(ede_name(r.ede->code)) + "): " + r.ede->text + "\n";
  }
  if (!r.cause.empty()) out += p.bold("cause") + "    " + r.cause + "\n";
  if (!r.next_step.empty()) out += p.bold("next") + "     " + r.next_step + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------
// JSON.

namespace {

class Json {
 public:
  std::string take() { return std::move(out_); }
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k) {
    comma();
    string(k);
    out_ += ':';
    after_key_ = true;
  }
  void value(std::string_view s) {
    comma();
    string(s);
  }
  void value(const char* s) { value(std::string_view(s)); }
  void value(int64_t n) {
    comma();
    out_ += std::to_string(n);
  }
  void value(bool b) {
    comma();
    out_ += b ? "true" : "false";
  }
  void null() {
    comma();
    out_ += "null";
  }
  template <class T>
  void field(std::string_view k, T v) {
    key(k);
    value(v);
  }
  void field_int(std::string_view k, int64_t v) {
    key(k);
    value(v);
  }

 private:
  void open(char c) {
    comma();
    out_ += c;
    first_ = true;
  }
  void close(char c) {
    out_ += c;
    first_ = false;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  void string(std::string_view s) {
    out_ += '"';
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"') {
        out_ += "\\\"";
      } else if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += ch;
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

std::string_view window_id(RrsigWindow w) {
  switch (w) {
    case RrsigWindow::Valid:
      return "valid";
    case RrsigWindow::Expired:
      return "expired";
    case RrsigWindow::NotYetValid:
      return "not_yet_valid";
  }
  return "valid";
}

std::string_view ds_source_id(DsSource s) {
  switch (s) {
    case DsSource::None:
      return "none";
    case DsSource::TrustAnchor:
      return "trust_anchor";
    case DsSource::Parent:
      return "parent";
    case DsSource::KeyCache:
      return "key_cache";
  }
  return "none";
}

std::string_view purpose_id(DenialPurpose p) {
  switch (p) {
    case DenialPurpose::NegativeAnswer:
      return "negative_answer";
    case DenialPurpose::WildcardAnswer:
      return "wildcard_answer";
    case DenialPurpose::NoDs:
      return "no_ds";
  }
  return "negative_answer";
}

void json_rrsigs(Json& j, std::string_view key, const std::vector<RrsigView>& sigs, int64_t now) {
  j.key(key);
  j.begin_array();
  for (const auto& s : sigs) {
    j.begin_object();
    j.field("covered", to_string(s.covered));
    j.field_int("algorithm", s.algorithm);
    j.field("algorithm_name", alg(s.algorithm));
    j.field_int("key_tag", s.key_tag);
    j.field("signer", s.signer.to_string());
    j.field("inception", format_utc(s.inception));
    j.field("expiration", format_utc(s.expiration));
    j.field_int("inception_unix", s.inception);
    j.field_int("expiration_unix", s.expiration);
    j.field_int("seconds_left", s.expiration - now);
    j.field("window", window_id(s.window));
    j.field("verified", s.verified);
    j.end_object();
  }
  j.end_array();
}

void json_check(Json& j, std::string_view key, const CheckView& c) {
  j.key(key);
  j.begin_object();
  j.field("security", to_string(c.security));
  j.field("reason", reason_id(c.reason));
  j.field("detail", c.detail);
  j.end_object();
}

void json_denial(Json& j, const DenialView& d, int64_t now) {
  j.begin_object();
  j.field("purpose", purpose_id(d.purpose));
  j.field("qname", d.qname.to_string());
  j.field("qtype", to_string(d.qtype));
  j.field("zone", d.zone.to_string());
  j.field("kind", denial_kind_id(d.kind));
  j.field("detail", d.detail);
  j.key("records");
  j.begin_array();
  for (const auto& rec : d.records) {
    j.begin_object();
    j.field("type", to_string(rec.type));
    j.field("owner", rec.owner.to_string());
    j.field("next", rec.next);
    j.key("types");
    j.begin_array();
    for (const auto& t : rec.types) j.value(t);
    j.end_array();
    j.field("opt_out", rec.opt_out);
    j.field_int("iterations", rec.iterations);
    j.field("salt", rec.salt);
    json_check(j, "check", rec.check);
    json_rrsigs(j, "rrsigs", rec.rrsigs, now);
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

}  // namespace

std::string render_json(const Report& r) {
  Json j;
  j.begin_object();
  j.field_int("schema_version", 1);
  j.key("query");
  j.begin_object();
  j.field("name", r.question.name.to_string());
  j.field("type", to_string(r.question.type));
  j.end_object();
  j.field("time", format_utc(r.now));
  j.field_int("time_unix", r.now);
  j.field("upstreams", r.upstreams);
  j.key("rcode");
  if (r.rcode) {
    j.value(to_string(*r.rcode));
  } else {
    j.null();
  }
  j.key("zones");
  j.begin_array();
  for (const auto& z : r.zones) {
    j.begin_object();
    j.field("zone", z.zone.to_string());
    j.field("security", to_string(z.security));
    j.field("reason", reason_id(z.reason));
    j.field("detail", z.detail);
    j.field("ds_source", ds_source_id(z.ds_source));
    j.key("parent");
    if (z.parent) {
      j.value(z.parent->to_string());
    } else {
      j.null();
    }
    j.key("ds");
    j.begin_array();
    for (const auto& d : z.ds) {
      j.begin_object();
      j.field_int("key_tag", d.key_tag);
      j.field_int("algorithm", d.algorithm);
      j.field("algorithm_name", alg(d.algorithm));
      j.field_int("digest_type", d.digest_type);
      j.field("digest_name", crypto::digest_name(d.digest_type));
      j.field("usable", d.usable);
      j.key("matches_key");
      if (d.matches_key) {
        j.value(static_cast<int64_t>(*d.matches_key));
      } else {
        j.null();
      }
      j.field("note", d.note);
      j.end_object();
    }
    j.end_array();
    json_check(j, "ds_check", z.ds_check);
    json_rrsigs(j, "ds_rrsigs", z.ds_rrsigs, r.now);
    j.field("dnskeys_seen", z.dnskeys_seen);
    j.key("dnskeys");
    j.begin_array();
    for (const auto& k : z.keys) {
      j.begin_object();
      j.field_int("key_tag", k.key_tag);
      j.field_int("flags", k.flags);
      j.field("role", k.role());
      j.field_int("algorithm", k.algorithm);
      j.field("algorithm_name", alg(k.algorithm));
      j.field_int("bits", k.bits);
      j.field("revoked", k.revoked);
      j.field("trusted", k.trusted);
      j.field("signs_dnskey", k.signs_dnskey);
      j.end_object();
    }
    j.end_array();
    json_check(j, "dnskey_check", z.dnskey_check);
    json_rrsigs(j, "dnskey_rrsigs", z.dnskey_rrsigs, r.now);
    j.key("no_ds");
    if (z.no_ds) {
      json_denial(j, *z.no_ds, r.now);
    } else {
      j.null();
    }
    j.end_object();
  }
  j.end_array();
  j.key("answer");
  j.begin_array();
  for (const auto& a : r.answer) {
    j.begin_object();
    j.field("owner", a.owner.to_string());
    j.field("type", to_string(a.type));
    j.field_int("ttl", a.ttl);
    j.key("records");
    j.begin_array();
    for (const auto& rec : a.records) j.value(rec);
    j.end_array();
    j.field("zone", a.zone.to_string());
    j.field("security", to_string(a.security));
    j.field("reason", reason_id(a.reason));
    j.field("detail", a.detail);
    json_rrsigs(j, "rrsigs", a.rrsigs, r.now);
    j.end_object();
  }
  j.end_array();
  j.key("denials");
  j.begin_array();
  for (const auto& d : r.denials) json_denial(j, d, r.now);
  j.end_array();
  j.key("verdict");
  j.begin_object();
  j.field("security", to_string(r.verdict.security));
  j.field("reason", reason_id(r.verdict.reason));
  j.field("zone", r.verdict.zone.to_string());
  j.field("detail", r.verdict.detail);
  j.end_object();
  if (r.without_negative_anchor) {
    j.key("verdict_without_negative_anchor");
    j.begin_object();
    j.field("security", to_string(r.without_negative_anchor->security));
    j.field("reason", reason_id(r.without_negative_anchor->reason));
    j.field("zone", r.without_negative_anchor->zone.to_string());
    j.field("detail", r.without_negative_anchor->detail);
    j.end_object();
  }
  j.field("failure", failure_id(r.failure));
  j.key("ede");
  if (r.ede) {
    j.begin_object();
    j.field_int("code", static_cast<int64_t>(r.ede->code));
    j.field("name", ede_name(r.ede->code));
    j.field("text", r.ede->text);
    j.end_object();
  } else {
    j.null();
  }
  j.key("cause");
  if (r.cause.empty()) {
    j.null();
  } else {
    j.value(r.cause);
  }
  j.key("next_step");
  if (r.next_step.empty()) {
    j.null();
  } else {
    j.value(r.next_step);
  }
  j.field_int("exit_code", r.exit_code);
  j.end_object();
  return j.take() + "\n";
}

}  // namespace dnsp::resolver
