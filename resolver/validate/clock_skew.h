// Whether a verdict that failed on RRSIG validity windows (RFC 4035 §5.3.1 items 4-5) says more
// about this machine's clock than about the zone: the root zone is re-signed on a fixed
// schedule by its operators, so a root RRSIG whose window lies wholly before or after "now"
// means the clock is wrong; so do the signatures of most RRsets of an answer, from several
// zones, all on one side of it. Read from the validation's trace; pure (time is a parameter).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "resolver/validate/validation_trace.h"
#include "resolver/verify/verdict.h"

namespace dnsp::resolver {

struct ClockSkew {
  // How far the clock is off, at least: > 0 when it is behind (now + seconds reaches the
  // earliest inception of the RRSIGs), < 0 when it is ahead (now + seconds is their latest
  // expiration).
  int64_t seconds = 0;
  int64_t window_edge = 0;  // that inception or expiration, unix time
  std::string rrset;        // whose RRSIGs lie outside: ". DNSKEY", or "3 of the 4 signed
                            // RRsets of this answer (in 2 zones)"
  bool at_root = true;      // the root's (else most RRsets of the answer, several zones)
};

// A Bogus verdict with Reason::SignatureExpired or SignatureNotYetValid whose failing RRset
// (in `evidence`) belongs to the root zone and every one of whose RRSIGs over it lies on
// the same side of `now`, or where more than half of the signed RRsets in `evidence` lie
// wholly on that side and they belong to two zones or more: how far off the clock is (the
// nearest of them). nullopt for every other verdict.
std::optional<ClockSkew> clock_skew(const Verdict& v, const ValidationTrace& evidence, int64_t now);

}  // namespace dnsp::resolver
