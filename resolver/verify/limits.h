// Limits: the work one client query's validation may do (signature checks, sub-queries, chain
// and CNAME lengths, NSEC3 iterations and hashes, key entry lifetimes), and the Budget that
// counts signature checks against it (CVE-2023-50387 KeyTrap, CVE-2023-50868, RFC 9276 §3.2,
// RFC 9520). In verify/, the lowest folder that spends them (rrset_verify.h); validate/ and
// proxy/ (settings.h, from [limits] in the configuration) pass them down.
#pragma once

#include <cstdint>

namespace dnsp::resolver {

// Whether RRSIG validity windows (RFC 4035 §5.3.1 items 4-5: inception <= now <= expiration)
// are checked. NotChecked is for a clock that cannot be believed yet ([dnssec] clock =
// "until-synced" before the clock is verified, proxy/clock.h): every other rule still holds
// (signer, labels, key, signature, chain of trust, denial), and what is validated so must not
// carry AD (proxy/pipeline/answers_leave.cc).
enum class ValidityWindows : uint8_t { Checked, NotChecked };

struct Limits {
  uint32_t max_signature_checks = 64;  // signature verifications per client query
  // Failed signature verifications on one RRset before it is Bogus (CVE-2023-50387: keys
  // sharing a key tag, junk RRSIGs). Colliding tags alone are no fault: a legitimate zone may
  // publish several keys with the tag of its signing key, each tried until one verifies.
  uint32_t max_failed_checks_per_rrset = 16;
  uint32_t max_fetches = 48;  // DS/DNSKEY/denial sub-queries per client query
  uint32_t max_cname_chain = 12;
  uint16_t max_nsec3_iterations = 150;  // RFC 9276 §3.2
  uint32_t bogus_ttl = 60;              // seconds a bogus key entry is remembered (RFC 9520)
  uint32_t max_key_ttl = 86400;
  uint32_t max_chain_depth = 24;    // zones walked from the trust anchor down
  uint32_t max_nsec3_hashes = 200;  // NSEC3 hash computations per denial proof (CVE-2023-50868)
  // Not a limit on work but a rule that travels with each validation the same way.
  ValidityWindows validity_windows = ValidityWindows::Checked;
};

// The signature checks one validation has left (Limits::max_signature_checks at the start).
struct Budget {
  explicit Budget(const Limits& l) : signature_checks_left(l.max_signature_checks) {}
  uint32_t signature_checks_left;
  uint32_t signature_checks_done = 0;
};

}  // namespace dnsp::resolver
