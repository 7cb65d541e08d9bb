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
  // Else most of the signed RRsets the validation looked at (checked or not yet), in at least
  // two zones, lie on that side of now: zones signed by different people do not all go out
  // of date at once. One zone alone (its DNSKEY and its data expired) is that zone's fault.
  size_t signed_rrsets = 0;
  size_t outside = 0;
  std::vector<Name> zones;
  std::optional<ClockSkew> nearest;  // the smallest skew among them: "at least"
  for (const CheckedRrset* c : candidates) {
    const bool has_window = std::any_of(c->rrsigs.begin(), c->rrsigs.end(), [&](const auto& rd) {
      auto sig = parse_rrsig(rd);
      return sig && sig->type_covered == c->type && sig->signer == c->zone;
    });
    if (!has_window) continue;
    ++signed_rrsets;
    auto s = skew_of(*c, v.reason, now);
    if (!s) continue;
    ++outside;
    if (std::none_of(zones.begin(), zones.end(), [&](const Name& z) { return z == c->zone; })) {
      zones.push_back(c->zone);
    }
    const auto magnitude = [](int64_t x) { return x < 0 ? -x : x; };
    if (!nearest || magnitude(s->seconds) < magnitude(nearest->seconds)) nearest = std::move(s);
  }
  if (!nearest || zones.size() < 2 || outside * 2 <= signed_rrsets) return std::nullopt;
  nearest->rrset = std::to_string(outside) + " of the " + std::to_string(signed_rrsets) +
                   " signed RRsets of this answer (in " + std::to_string(zones.size()) + " zones)";
  nearest->at_root = false;
  return nearest;
}

}  // namespace dnsp::resolver
