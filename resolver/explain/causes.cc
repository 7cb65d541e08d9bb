#include "resolver/explain/causes.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "crypto/algorithm.h"
#include "resolver/explain/vocabulary.h"
#include "resolver/validate/clock_skew.h"
#include "resolver/wire/rdata.h"

namespace dnsp::resolver {
namespace {

// ---------------------------------------------------------------------------------------
// Finding what a cause speaks of, and the words for it.

std::string join_and(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += i + 1 == items.size() ? " and " : ", ";
    s += items[i];
  }
  return s;
}

// "key 5" or "keys 5 and 6".
std::string keys_words(const std::vector<std::string>& tags) {
  return (tags.size() == 1 ? "key " : "keys ") + join_and(tags);
}

// " (key 5 and 6)", or "" when there is none to name.
std::string key_note(const std::vector<std::string>& tags) {
  return tags.empty() ? std::string() : " (key " + join_and(tags) + ")";
}

void push_unique(std::vector<std::string>& items, std::string item) {
  if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(std::move(item));
}

std::string alg(uint8_t a) { return crypto::algorithm_name(a); }

// The zone that holds the DS of `z` (or proves there is none), in words.
std::string parent_words(const ZoneView* z) {
  return z != nullptr && z->parent ? z->parent->to_string() : std::string("its parent");
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

// ---------------------------------------------------------------------------------------
// Bogus, the chain of trust: DS at the parent -> DNSKEY RRset -> its RRSIG.

// The key tags of `z`: those its usable DS name (with their algorithm), those it publishes,
// and of those its KSKs (all of them when none has the SEP bit).
struct ZoneKeyTags {
  std::vector<std::string> named, published, ksks;
};

ZoneKeyTags zone_key_tags(const ZoneView& z) {
  ZoneKeyTags t;
  for (const auto& d : z.ds) {
    if (d.usable) t.named.push_back(std::to_string(d.key_tag) + " (" + alg(d.algorithm) + ")");
  }
  // In key tag order: upstreams may rotate the order of an RRset's records (Unbound's
  // rrset-roundrobin), and the same zone must give the same sentence each time.
  std::vector<KeyView> keys = z.keys;
  std::sort(keys.begin(), keys.end(),
            [](const KeyView& a, const KeyView& b) { return a.key_tag < b.key_tag; });
  for (const auto& k : keys) {
    t.published.push_back(std::to_string(k.key_tag));
    if (k.flags & DnskeyRdata::kSep) t.ksks.push_back(std::to_string(k.key_tag));
  }
  if (t.ksks.empty()) t.ksks = t.published;
  return t;
}

// The verdict names the zone whose DS failed; nullopt when the trace has no view of it.
std::optional<Cause> no_dnskey_matches_ds(const Report& r, const ZoneView* z) {
  if (z == nullptr) return std::nullopt;
  const std::string zone = r.verdict.zone.to_string();
  const ZoneKeyTags t = zone_key_tags(*z);
  const std::string keys_text = t.published.empty()
                                    ? "publishes no DNSKEY"
                                    : std::string("publishes only ") + keys_words(t.published);
  if (z->ds_source == DsSource::TrustAnchor) {
    return Cause{"The trust anchor for " + zone + " names " + keys_words(t.named) + " but " + zone +
                     " " + keys_text + ": the trust anchor is out of date (a KSK rollover?).",
                 "Update the trust anchor file (--trust-anchor or [dnssec] trust_anchor_file) "
                 "with the zone's current KSK" +
                     key_note(t.ksks) + "."};
  }
  const std::string parent = z->parent ? z->parent->to_string() : "the parent";
  return Cause{"DS at " + parent + " names " + keys_words(t.named) + " but " + zone + " " +
                   keys_text +
                   ": the DS at the registrar was not updated after a key or provider change.",
               "Publish the DS of the current KSK" + key_note(t.ksks) +
                   " at the registrar, or remove the old one."};
}

Cause dnskey_not_signed_by_ds_key(const Report& r, const ZoneView* z) {
  const std::string zone = r.verdict.zone.to_string();
  std::vector<std::string> trusted, signers;
  if (z != nullptr) {
    for (const auto& k : z->keys) {
      if (k.trusted) trusted.push_back(std::to_string(k.key_tag));
    }
    for (const auto& s : z->dnskey_rrsigs) signers.push_back(std::to_string(s.key_tag));
  }
  return {"The DS names key " + join_and(trusted) + ", which " + zone +
              " publishes, but its DNSKEY RRset is signed " +
              (signers.empty() ? std::string("by no key") : "only by key " + join_and(signers)) +
              ": a KSK rollover left the DS and the signing key out of step.",
          "Sign the DNSKEY RRset of " + zone +
              " with the key the DS names, or publish the DS of the key that signs it."};
}

Cause dnskey_missing(const Verdict& v) {
  const std::string zone = v.zone.to_string();
  return {zone + " has a DS at its parent but no DNSKEY RRset came back for it (" + v.detail +
              "): its servers do not serve the zone signed.",
          "Check that the servers of " + zone +
              " serve its DNSKEY RRset; if the zone moved to a provider that does not sign "
              "it, remove the DS at the registrar."};
}

Cause no_zone_key_bit(const Verdict& v) {
  return {"The key the DS names is not a zone key (flags bit 7 clear): " + v.detail + ".",
          "Publish the DNSKEY with the Zone Key flag set (flags 256 or 257)."};
}

Cause upstream_strips_dnssec(const Report& r) {
  const Verdict& v = r.verdict;
  return {"Upstream " + r.upstreams + " returned no RRSIG for " +
              (v.zone.is_root() ? std::string("the root DNSKEY")
                                : "the DNSKEY RRset of " + v.zone.to_string()) +
              ": it strips DNSSEC records, so nothing can be validated through it.",
          "Use an upstream that passes DNSSEC records through (RRSIGs in its answers to "
          "queries with DO=1), or run a recursive resolver of your own."};
}

// ---------------------------------------------------------------------------------------
// Bogus, signatures: their validity window, their bytes, their presence, their key.

// nullopt when no failing RRset or RRSIG is in the report.
std::optional<Cause> signature_expired(const Report& r) {
  auto f = find_failing(r, r.verdict.reason);
  int64_t latest = 0;
  if (f && f->rrsigs != nullptr) {
    for (const auto& s : *f->rrsigs) latest = std::max(latest, s.expiration);
  }
  if (!f || latest == 0) return std::nullopt;
  return Cause{"The RRSIG over " + rrset_words(*f) + " expired " + format_duration(r.now - latest) +
                   " ago (" + format_utc(latest) + "): the zone is no longer being re-signed.",
               "Re-sign " + f->zone.to_string() +
                   " and check that its signer runs: signatures must be refreshed before they "
                   "expire. If this machine's clock is wrong (it says " +
                   format_utc(r.now) + "), fix it."};
}

// nullopt when no failing RRset or RRSIG is in the report.
std::optional<Cause> signature_not_yet_valid(const Report& r) {
  auto f = find_failing(r, r.verdict.reason);
  int64_t earliest = 0;
  if (f && f->rrsigs != nullptr) {
    for (const auto& s : *f->rrsigs) {
      if (earliest == 0 || s.inception < earliest) earliest = s.inception;
    }
  }
  if (!f || earliest == 0) return std::nullopt;
  return Cause{"The RRSIG over " + rrset_words(*f) + " is not valid until " + format_utc(earliest) +
                   " (in " + format_duration(earliest - r.now) +
                   "): it was made with an inception date in the future.",
               "Check the clock of the signer of " + f->zone.to_string() +
                   " and of this machine (it says " + format_utc(r.now) +
                   "), and re-sign with an inception in the past."};
}

Cause signature_invalid(const Verdict& v) {
  return {"The " + v.detail + ": the data or the signature was changed after signing.",
          "Re-sign " + v.zone.to_string() +
              ". If its servers answer with a good signature (dig +dnssec @server), "
              "something on the path alters answers."};
}

Cause rrsigs_missing(const Report& r, const ZoneView* z) {
  const Verdict& v = r.verdict;
  const std::string zone = v.zone.to_string();
  if (z != nullptr && z->dnskeys_seen && z->dnskey_check.reason == Reason::RrsigsMissing) {
    std::vector<std::string> trusted;
    for (const auto& d : z->ds) {
      if (d.usable) trusted.push_back(std::to_string(d.key_tag));
    }
    return {"The DNSKEY RRset of " + zone +
                " comes without RRSIGs: nothing vouches for the zone's keys.",
            "Re-sign " + zone + " so that the KSK the DS names" + key_note(trusted) +
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

Cause no_matching_key(const Verdict& v) {
  return {"The " + v.detail +
              ": the zone was signed with a key that is not (or no longer) in its DNSKEY "
              "RRset.",
          "Publish that key again, or re-sign " + v.zone.to_string() + " with a published key."};
}

Cause bad_signer(const Verdict& v) {
  return {"An RRSIG names the wrong signer: " + v.detail + ".",
          "Re-sign the data with the keys of the zone that holds it."};
}

// ---------------------------------------------------------------------------------------
// Bogus, denials of existence (NSEC/NSEC3).

Cause nsec_missing(const Verdict& v) {
  return {"A denial of existence comes without its proof: " + v.detail + ".",
          "Check that the upstream passes NSEC/NSEC3 records (DO=1) and that the servers of " +
              v.zone.to_string() +
              " return them; re-sign the zone if its NSEC/NSEC3 chain is missing."};
}

Cause denial_not_proven(const Verdict& v) {
  return {"The NSEC/NSEC3 records do not prove the denial: " + v.detail + ".",
          "Re-sign " + v.zone.to_string() + " to rebuild its NSEC/NSEC3 chain."};
}

// ---------------------------------------------------------------------------------------
// Bogus, limits and data: work, the crypto library, records that do not parse or agree.

Cause too_much_work(const Verdict& v) {
  return {"Validation gave up: " + v.detail + ".",
          "The answer needs more work than the validator allows (a very long chain, or an "
          "answer built to exhaust validators): check the zones on the way."};
}

Cause crypto_error(const Verdict& v) {
  return {"The cryptographic library failed on a signature: " + v.detail + ".",
          "Run with --log-level debug to see the OpenSSL error."};
}

Cause malformed_data(const Verdict& v) {
  return {"Records do not parse: " + v.detail + ".",
          "Check what the upstream returns with dig +dnssec +cd."};
}

Cause inconsistent_answer(const Verdict& v) {
  return {"The reply contradicts its own validated records: " + v.detail + ".",
          "Something between here and " + v.zone.to_string() +
              " rewrites replies (the upstream, or an on-path attacker): compare dig "
              "+dnssec +cd through the upstream with the zone's servers."};
}

// One case per Reason, so that -Wswitch names a new one here. nullopt: no cause of its own
// (a reason that is not bogus, or one whose evidence is not in the report).
std::optional<Cause> bogus_reason_cause(const Report& r) {
  const Verdict& v = r.verdict;
  const ZoneView* z = find_zone_view(r, v.zone);
  switch (v.reason) {
    case Reason::NoDnskeyMatchesDs:
      return no_dnskey_matches_ds(r, z);
    case Reason::DnskeyNotSignedByDsKey:
      return dnskey_not_signed_by_ds_key(r, z);
    case Reason::DnskeyMissing:
      return dnskey_missing(v);
    case Reason::NoZoneKeyBit:
      return no_zone_key_bit(v);
    case Reason::UpstreamStripsDnssec:
      return upstream_strips_dnssec(r);
    case Reason::SignatureExpired:
      return signature_expired(r);
    case Reason::SignatureNotYetValid:
      return signature_not_yet_valid(r);
    case Reason::SignatureInvalid:
      return signature_invalid(v);
    case Reason::RrsigsMissing:
      return rrsigs_missing(r, z);
    case Reason::NoMatchingKey:
      return no_matching_key(v);
    case Reason::BadSigner:
      return bad_signer(v);
    case Reason::NsecMissing:
      return nsec_missing(v);
    case Reason::DenialNotProven:
      return denial_not_proven(v);
    case Reason::TooMuchWork:
      return too_much_work(v);
    case Reason::CryptoError:
      return crypto_error(v);
    case Reason::MalformedData:
      return malformed_data(v);
    case Reason::InconsistentAnswer:
      return inconsistent_answer(v);
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
  return std::nullopt;
}

// A validity window at the root that lies wholly before or after this machine's time
// (clock_skew.h): the clock is the cause, not the zone (issue 18).
Cause system_clock(const Report& r, const ClockSkew& s) {
  const bool behind = s.seconds > 0;
  return {"The system clock: this machine says " + format_utc(r.now) + ", but the RRSIGs over " +
              s.rrset + (behind ? " are not valid until " : " expired ") +
              format_utc(s.window_edge) + " (" + format_duration(behind ? s.seconds : -s.seconds) +
              (behind ? " later" : " earlier") + ")." +
              (s.at_root ? " The root zone is re-signed on schedule,"
                         : " Zones signed by different operators do not all go out of date "
                           "together,") +
              " so the clock is probably " + (behind ? "behind" : "ahead") +
              " by at least that much; the zone is not at fault.",
          "Set the clock (NTP: systemd-timesyncd, chronyd). On a device without a real-time "
          "clock, [dnssec] time_file keeps the time the proxy last ran, and [dnssec] clock = "
          "\"until-synced\" lets NTP resolve its servers before the clock is set."};
}

Cause bogus_cause_of_chain(const Report& r, const ExplainInput& in);

// Split DNS: a validated forward zone the chain above does not lead to securely. The
// daemon's EDE text says the same (forward_unproven_note, resolver/verify/verdict.h).
Cause bogus_cause(const Report& r, const ExplainInput& in) {
  Cause c = bogus_cause_of_chain(r, in);
  if (in.forward && in.forward->policy == ForwardPolicy::Validate) {
    if (auto words = forward_unproven_note(r.verdict, in.forward->zone)) {
      const std::string zone = in.forward->zone.to_string();
      c.cause += " " + r.question.name.to_string() + " is in the " + forward_words(*in.forward) +
                 ", answered by " + r.upstreams + ", but " + *words + ".";
      c.next = "Set dnssec = \"insecure\" in the [[forward]] table of " + zone +
               " (answers then pass with AD clear), or add the trust anchor of " + zone +
               " to trust_anchor_file so that it is validated from there.";
    }
  }
  return c;
}

Cause bogus_cause_of_chain(const Report& r, const ExplainInput& in) {
  if (in.evidence != nullptr) {
    if (auto s = clock_skew(r.verdict, *in.evidence, r.now)) return system_clock(r, *s);
  }
  if (auto c = bogus_reason_cause(r)) return std::move(*c);
  return {"The answer is bogus: " + ede_text(r.verdict) + ".",
          "Check " + r.verdict.zone.to_string() + " with dig +dnssec +cd at its servers."};
}

// ---------------------------------------------------------------------------------------
// Insecure: nothing is broken, but nothing vouches for the answer either.

std::string sign_it_next_step(const std::string& zone, const std::string& parent) {
  return "Nothing is broken. To protect " + zone + ", sign it and publish its DS in " + parent +
         " (at the registrar).";
}

Cause unsigned_delegation(const Report& r, const ZoneView* z) {
  const std::string zone = r.verdict.zone.to_string();
  const std::string parent = parent_words(z);
  const std::string how = z != nullptr && z->no_ds ? " with " + proof_type(*z->no_ds) : "";
  return {zone + " is unsigned: " + parent + " proves" + how +
              " that there is no DS. Answers are insecure, not bogus.",
          sign_it_next_step(zone, parent)};
}

Cause opt_out_delegation(const Report& r, const ZoneView* z) {
  const std::string zone = r.verdict.zone.to_string();
  if (z != nullptr && z->reason == Reason::OptOutDelegation && z->no_ds) {
    const std::string parent = parent_words(z);
    return {zone + " is unsigned: " + parent +
                " proves with NSEC3 that there is no signed delegation (an opt-out span "
                "covers it). Answers are insecure, not bogus.",
            sign_it_next_step(zone, parent)};
  }
  return {"The denial for " + r.question.name.to_string() + " " + to_string(r.question.type) +
              " rests on an NSEC3 opt-out span of " + zone +
              ": an unsigned delegation could exist there (RFC 5155 §9.2). The answer is "
              "insecure, not bogus.",
          "Nothing is broken. For signed denials, re-sign " + zone + " without opt-out."};
}

// "The DS at net. for example.net. names only algorithm ...": `what` is what the DS names.
std::string not_implemented(const Report& r, const ZoneView* z, const std::string& what) {
  const std::string zone = r.verdict.zone.to_string();
  return "The DS at " + parent_words(z) + " for " + zone + " " + what +
         ", which this validator does not implement: " + zone +
         " is treated as unsigned (RFC 4035 §5.2). Answers are insecure, not bogus.";
}

Cause unsupported_algorithm(const Report& r, const ZoneView* z) {
  std::vector<std::string> algs;
  if (z != nullptr) {
    for (const auto& d : z->ds) {
      push_unique(algs, alg(d.algorithm) + " (" + std::to_string(d.algorithm) + ")");
    }
  }
  const std::string zone = r.verdict.zone.to_string();
  return {not_implemented(r, z, "names only algorithm " + join_and(algs)),
          "To have it validated, sign " + zone +
              " with a supported algorithm (ECDSAP256SHA256 or ED25519) and publish that DS."};
}

Cause unsupported_digest(const Report& r, const ZoneView* z) {
  std::vector<std::string> digests;
  if (z != nullptr) {
    for (const auto& d : z->ds) {
      push_unique(digests,
                  std::to_string(d.digest_type) + " (" + crypto::digest_name(d.digest_type) + ")");
    }
  }
  return {not_implemented(r, z, "uses only digest type " + join_and(digests)),
          "Publish a SHA-256 DS (digest type 2) for " + r.verdict.zone.to_string() +
              " at the registrar."};
}

Cause nsec3_iterations_too_high(const Report& r, const ZoneView* z) {
  const std::string zone = r.verdict.zone.to_string();
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
              " this validator accepts (RFC 9276 §3.2): its denials are insecure, not bogus.",
          "Re-sign " + zone + " with NSEC3 iterations 0 and an empty salt (RFC 9276 §3.1)."};
}

// RFC 7646 §9: an NTA is meant to be removed once the zone is fixed; say whether it is.
Cause negative_trust_anchor(const Report& r) {
  const std::string zone = r.verdict.zone.to_string();
  const std::optional<Verdict>& without = r.without_negative_anchor;
  std::string now;
  std::string next = "Remove " + zone +
                     " from [dnssec] negative_trust_anchors once its DNSSEC is fixed "
                     "(RFC 7646 §9: negative trust anchors are meant to be temporary).";
  if (!without) {
    now = " Validation without it could not finish (a DS or DNSKEY did not come back).";
  } else if (without->security == Security::Secure) {
    now = " Without it the answer validates as secure now.";
    next = "Remove " + zone +
           " from [dnssec] negative_trust_anchors: it is no longer needed (RFC 7646 §9).";
  } else if (without->security == Security::Bogus) {
    now = " Without it the answer would be bogus: " + ede_text(*without) + ".";
  } else {
    now = " Without it the answer would be " + std::string(to_string(without->security)) +
          " too: " + ede_text(*without) + ".";
  }
  return {r.question.name.to_string() + " is at or below the negative trust anchor " + zone +
              " ([dnssec] negative_trust_anchors, RFC 7646): the proxy does not validate "
              "it, so answers are insecure whatever their signatures say." +
              now,
          next};
}

Cause no_trust_anchor(const Report& r) {
  return {"No trust anchor covers " + r.question.name.to_string() +
              ": nothing is validated, every answer is insecure.",
          "Name a trust anchor file with --trust-anchor or [dnssec] trust_anchor_file, or "
          "remove the setting to use the built-in root anchors."};
}

// One case per Reason, so that -Wswitch names a new one here. nullopt: a reason that is
// not an insecure one.
std::optional<Cause> insecure_reason_cause(const Report& r) {
  const ZoneView* z = find_zone_view(r, r.verdict.zone);
  switch (r.verdict.reason) {
    case Reason::UnsignedDelegation:
      return unsigned_delegation(r, z);
    case Reason::OptOutDelegation:
      return opt_out_delegation(r, z);
    case Reason::UnsupportedAlgorithm:
      return unsupported_algorithm(r, z);
    case Reason::UnsupportedDigest:
      return unsupported_digest(r, z);
    case Reason::Nsec3IterationsTooHigh:
      return nsec3_iterations_too_high(r, z);
    case Reason::NegativeTrustAnchor:
      return negative_trust_anchor(r);
    case Reason::NoTrustAnchor:
      return no_trust_anchor(r);
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
  return std::nullopt;
}

// Not validated by the configuration's choice (proxy/split_dns.h): an insecure [[forward]]
// zone or a private zone. Negative trust anchors have their own words (RFC 7646 §9).
std::optional<Cause> insecure_policy(const Report& r, const ExplainInput& in) {
  if (!in.negative_anchor || in.insecure_setting.empty() ||
      in.insecure_what == "the negative trust anchor") {
    return std::nullopt;
  }
  const std::string zone = in.negative_anchor->to_string();
  const std::string q = r.question.name.to_string();
  std::string now;
  if (const auto& without = r.without_negative_anchor; !without) {
    now =
        " Validated anyway, it could not be proven either way (a DS or DNSKEY did not come back).";
  } else {
    now = " Validated anyway, the answer would be " + std::string(to_string(without->security)) +
          (without->security == Security::Secure ? "" : ": " + ede_text(*without)) + ".";
  }
  if (in.insecure_what == "the insecure forward zone") {
    const std::string where =
        in.forward && in.forward->zone == *in.negative_anchor
            ? "in the " + forward_words(*in.forward) + ", answered by " + r.upstreams
            : "at or below " + in.insecure_what + " " + zone + " " + in.insecure_setting;
    return Cause{q + " is " + where +
                     ": by that [[forward]] policy the proxy does not validate it, so answers "
                     "are insecure (AD clear) whatever their signatures say." +
                     now,
                 "Nothing to do if " + zone +
                     " is meant to be unvalidated. To validate it, set dnssec = \"validate\" "
                     "in its [[forward]] table once the chain from the trust anchor leads to it "
                     "(its parent publishes its DS), or add its trust anchor to "
                     "trust_anchor_file."};
  }
  return Cause{q + " is at or below " + in.insecure_what + " " + zone + " " + in.insecure_setting +
                   ": the proxy does not validate it, so answers are insecure (AD clear) "
                   "whatever their signatures say." +
                   now,
               "Nothing to do for a private name. To validate " + zone +
                   ", sign it, add its trust anchor to trust_anchor_file and take it out of " +
                   in.insecure_setting.substr(1, in.insecure_setting.size() - 2) + "."};
}

Cause insecure_cause(const Report& r, const ExplainInput& in) {
  if (auto c = insecure_policy(r, in)) return std::move(*c);
  if (auto c = insecure_reason_cause(r)) return std::move(*c);
  return {"The answer is insecure: " + ede_text(r.verdict) + ".",
          "Nothing is broken; the data is simply not signed."};
}

// ---------------------------------------------------------------------------------------
// Could not resolve: what went unanswered, and the dig command to try.

Cause unresolved_cause(const Report& r, const ExplainInput& in) {
  const std::string q = in.failed_query.empty()
                            ? r.question.name.to_string() + " " + to_string(r.question.type)
                            : in.failed_query;
  const std::string dig_hint = "dig " + in.dig_server + " +dnssec +cd " +
                               r.question.name.to_string() + " " + to_string(r.question.type);
  switch (r.failure) {
    case FetchFailure::Timeout:
      return {"Upstream " + r.upstreams + " did not answer in time; no answer to " + q + ".",
              "Check that the upstream is reachable and answers: " + dig_hint + "."};
    case FetchFailure::Deadline:
      return {"No complete answer from upstream " + r.upstreams + " within " +
                  std::to_string(in.query_timeout_ms) +
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
      c = bogus_cause(r, in);
      break;
    case Security::Insecure:
      c = insecure_cause(r, in);
      break;
    case Security::Indeterminate:
      c = unresolved_cause(r, in);
      break;
  }
  return {end_sentences(std::move(c.cause)), end_sentences(std::move(c.next))};
}

}  // namespace dnsp::resolver
