#include "resolver/explain/report.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "crypto/algorithm.h"
#include "crypto/base16.h"
#include "crypto/base32hex.h"
#include "crypto/public_key.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/explain/causes.h"
#include "resolver/verify/canonical.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/serial_time.h"

namespace dnsp::resolver {
namespace {

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

// TXT (RFC 1035 §3.3.14): each character-string in quotes, with quotes and backslashes
// escaped and anything not printable as \DDD.
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

// Presentation form for the types people look at; RFC 3597 §5 generic form otherwise, and
// when their RDATA does not parse. An if-chain, not a switch: an RRType holds any type number
// from the wire, and the generic form is right for every type not named here.
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

}  // namespace

std::string_view KeyView::role() const {
  if (!(flags & DnskeyRdata::kZoneKey)) return "not a zone key";
  return (flags & DnskeyRdata::kSep) ? "KSK" : "ZSK";
}

std::optional<ExtendedError> daemon_ede(const Verdict& v, std::string_view upstreams) {
  return reply_ede(v, upstreams);
}

std::string forward_words(const ExplainForward& f) {
  return "forward zone " + f.zone.to_string() + " (dnssec = \"" +
         (f.policy == ForwardPolicy::Validate ? "validate" : "insecure") + "\")";
}

Report build_report(const ExplainInput& in) {
  Report r;
  r.forward = in.forward;
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
    // The daemon answers with the data as it came, unvalidated (proxy/pipeline/upstream_replies.cc
    // on_answer).
    r.verdict = negative_anchor_verdict(*in.negative_anchor);
    r.without_negative_anchor = in.verdict;
    r.ede = daemon_ede(r.verdict, in.upstreams);
  } else if (in.verdict) {
    r.verdict = *in.verdict;
    r.ede = daemon_ede(r.verdict, in.upstreams);
  } else {
    r.failure = in.failure == FetchFailure::None ? FetchFailure::BadReply : in.failure;
    const ExtendedError ede =
        failure_ede(r.failure, in.upstreams, in.query_timeout_ms, in.failure_detail);
    r.verdict = Verdict{Security::Indeterminate, Reason::None, in.question.name, ede.text};
    r.ede = ede;
  }
  r.exit_code = exit_code_for(r.verdict.security);
  Cause c = explain_cause(r, in);
  r.cause = std::move(c.cause);
  r.next_step = std::move(c.next);
  r.probes = in.probes;
  // What the probes found wrong with the servers is part of the cause of a failure: a server
  // that strips RRSIGs or drops CD explains a bogus verdict, one that is unreachable a
  // missing answer (issue 18).
  std::string found;
  if (r.verdict.security == Security::Bogus || r.verdict.security == Security::Indeterminate) {
    for (const UpstreamProbeView& p : in.probes) {
      if (p.state == "ok") continue;
      found += std::string(found.empty() ? "" : "; ") + "upstream " + p.server + " is " + p.state +
               (p.evidence.empty() ? std::string() : " (" + p.evidence + ")");
    }
  }
  if (!found.empty()) {
    r.cause += std::string(r.cause.empty() ? "" : " ") + "The proxy's probes found: " + found + ".";
  }
  return r;
}

const ZoneView* find_zone_view(const Report& r, const Name& zone) {
  for (const auto& z : r.zones) {
    if (z.zone == zone) return &z;
  }
  return nullptr;
}

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

std::string ds_source_words(const ZoneView& z) {
  switch (z.ds_source) {
    case DsSource::TrustAnchor:
      return "trust anchor";
    case DsSource::Parent:
      return "DS at " + (z.parent ? z.parent->to_string() : std::string("parent"));
    case DsSource::KeyCache:
      return "from the key cache";
    case DsSource::None:
      return z.no_ds ? "no DS at " + z.no_ds->zone.to_string() : std::string("no DS");
  }
  return "";
}

}  // namespace dnsp::resolver
