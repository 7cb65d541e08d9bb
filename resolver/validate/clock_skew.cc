#include "resolver/validate/clock_skew.h"

#include <algorithm>
#include <vector>

#include "resolver/wire/rdata.h"
#include "resolver/wire/serial_time.h"

namespace dnsp::resolver {
namespace {

// The skew `c`'s RRSIGs show at `now`, when all of them lie on the side `reason` names.
std::optional<ClockSkew> skew_of(const CheckedRrset& c, Reason reason, int64_t now) {
  int64_t earliest_inception = 0;
  int64_t latest_expiration = 0;
  size_t windows = 0;
  for (const auto& rd : c.rrsigs) {
    auto sig = parse_rrsig(rd);
    if (!sig || sig->type_covered != c.type || !(sig->signer == c.zone)) continue;
    // RFC 4034 §3.1.5: serial arithmetic around now, as the validator compared them.
    const int64_t inception = serial_to_unix(sig->inception, now);
    const int64_t expiration = serial_to_unix(sig->expiration, now);
    if (reason == Reason::SignatureNotYetValid && inception <= now) return std::nullopt;
    if (reason == Reason::SignatureExpired && expiration >= now) return std::nullopt;
    earliest_inception = windows == 0 ? inception : std::min(earliest_inception, inception);
    latest_expiration = windows == 0 ? expiration : std::max(latest_expiration, expiration);
    ++windows;
  }
  if (windows == 0) return std::nullopt;
  ClockSkew s;
  s.rrset = c.owner.to_string() + " " + std::string(to_string(c.type));
  if (reason == Reason::SignatureNotYetValid) {
    s.seconds = earliest_inception - now;
    s.window_edge = earliest_inception;
  } else {
    s.seconds = latest_expiration - now;
    s.window_edge = latest_expiration;
  }
  return s;
}

}  // namespace

std::optional<ClockSkew> clock_skew(const Verdict& v, const ValidationTrace& evidence,
                                    int64_t now) {
  if (v.security != Security::Bogus ||
      (v.reason != Reason::SignatureExpired && v.reason != Reason::SignatureNotYetValid)) {
    return std::nullopt;
  }
  // Every RRset the trace holds that the root's keys were to vouch for and that failed for
  // this reason: the root's DNSKEY RRset first (it is checked before anything else), then DS
  // RRsets of top-level zones, then root data in the answer and its denials.
  std::vector<const CheckedRrset*> candidates;
  for (const auto& z : evidence.zones) {
    if (z.dnskeys) candidates.push_back(&*z.dnskeys);
    if (z.ds) candidates.push_back(&*z.ds);
    if (z.no_ds) {
      for (const auto& r : z.no_ds->records) candidates.push_back(&r);
    }
  }
  for (const auto& r : evidence.answer) candidates.push_back(&r);
  for (const auto& d : evidence.denials) {
    for (const auto& r : d.records) candidates.push_back(&r);
  }
  for (const CheckedRrset* c : candidates) {
    if (!c->zone.is_root() || c->security != Security::Bogus || c->reason != v.reason) continue;
    if (auto s = skew_of(*c, v.reason, now)) return s;
  }
  return std::nullopt;
}

}  // namespace dnsp::resolver
