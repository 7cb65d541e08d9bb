// Turning configuration (config/) into the resolver's own settings: one place, used by the
// daemon (proxy/pipeline/) and the explain command (proxy/explain.cc) alike.
#pragma once

#include "config/config.h"
#include "resolver/verify/rrset_verify.h"

namespace dnsp::proxy {

// [limits]: the validation work one client query may cause (CVE-2023-50387, -50868).
inline resolver::Limits validation_limits(const config::ValidationLimits& l) {
  resolver::Limits out;
  out.max_signature_checks = l.max_signature_checks;
  out.max_failed_checks_per_rrset = l.max_failed_checks_per_rrset;
  out.max_fetches = l.max_fetches;
  out.max_cname_chain = l.max_cname_chain;
  out.max_chain_depth = l.max_chain_depth;
  out.max_nsec3_iterations = static_cast<uint16_t>(l.max_nsec3_iterations);
  out.max_nsec3_hashes = l.max_nsec3_hashes;
  return out;
}

}  // namespace dnsp::proxy
