#include "resolver/explain/causes.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "crypto/algorithm.h"
#include "resolver/explain/vocabulary.h"
#include "resolver/wire/rdata.h"

namespace dnsp::resolver {
namespace {

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
    default:
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
    default:
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

Cause explain_cause(const Report& r, const ExplainInput& in) {
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
  return {end_sentences(std::move(c.cause)), end_sentences(std::move(c.next))};
}

}  // namespace dnsp::resolver
