// Validation outcomes (RFC 4033 §5, RFC 4035 §4.3): Security, the Reason behind it, and the
// single table from Reason to Extended DNS Error codes (RFC 8914 §4, RFC 9276 §3.2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/wire/ede.h"
#include "resolver/wire/name.h"

namespace dnsp::resolver {

// Ordered from worst to best, so that the verdict of several parts is their minimum.
enum class Security : uint8_t { Bogus, Indeterminate, Insecure, Secure };

enum class Reason : uint8_t {
  None,                    // Secure: nothing to say
  NoTrustAnchor,           // Insecure: no anchor covers the name (or none configured)
  UnsignedDelegation,      // Insecure: the parent proves there is no DS (RFC 4035 §5.2)
  OptOutDelegation,        // Insecure: an NSEC3 opt-out span covers the delegation
  UnsupportedAlgorithm,    // Insecure: the DS names only algorithms we cannot do
  UnsupportedDigest,       // Insecure: the DS uses only digest types we cannot do
  Nsec3IterationsTooHigh,  // Insecure: RFC 9276 §3.2
  NegativeTrustAnchor,     // Insecure: at or below a negative trust anchor (RFC 7646)
  DenialNotChecked,        // Indeterminate: the answer needs a proof this build cannot check
  SignatureExpired,        // Bogus ...
  SignatureNotYetValid,
  SignatureInvalid,
  RrsigsMissing,
  NoMatchingKey,           // an RRSIG names a key tag the zone's DNSKEY RRset lacks
  DnskeyMissing,           // the zone has a DS but no DNSKEY RRset came back
  NoDnskeyMatchesDs,       // no DNSKEY matches any DS of the zone
  DnskeyNotSignedByDsKey,  // the DNSKEY RRset is not signed by a key the DS names
  NoZoneKeyBit,
  NsecMissing,           // a denial or wildcard answer comes without its proof
  DenialNotProven,       // NSEC/NSEC3 present but they do not prove the denial
  BadSigner,             // RRSIG signer is not the zone or not an ancestor of the owner
  UpstreamStripsDnssec,  // DO was set, yet DNSKEY/DS came back without RRSIGs
  TooMuchWork,           // a validation limit was reached (KeyTrap-style input)
  CryptoError,           // OpenSSL failed on a signature: counted as not verified
  MalformedData,         // records whose RDATA does not parse
  InconsistentAnswer,    // validated records contradict the rest of the reply: rcode, a
                         // CNAME beside data, a synthesised CNAME unlike its DNAME's
};

struct Verdict {
  Security security = Security::Indeterminate;
  Reason reason = Reason::None;
  Name zone;           // the zone the reason is about
  std::string detail;  // plain words: "RRSIG over www.example.com. A expired 2026-11-20T00:00:00Z"
};

std::string_view to_string(Security s);
std::string_view to_string(Reason r);
EdeCode ede_code(Reason r);
// "example.com.: RRSIG over www.example.com. A expired 2026-11-20T00:00:00Z"
std::string ede_text(const Verdict& v);
// The EDE a reply with this verdict carries (the daemon's replies and explain's report):
// every bogus verdict (an upstream that strips DNSSEC records is named, `upstreams`), and
// insecure ones that are insecure only because this validator cannot check them
// (RFC 8914 §4.2, RFC 9276 §3.2: EDE 1, 2, 27). nullopt for the others.
std::optional<ExtendedError> reply_ede(const Verdict& v, std::string_view upstreams);
// Split DNS: a bogus verdict about a zone above a [[forward]] zone validated as any answer
// (dnssec = "validate") means the chain above it does not lead to it securely (the public
// parent denies the zone, or delegates it unsigned): as configured it can never be proven.
// The words for that and the fix, said by the daemon's EDE text and explain's cause alike;
// nullopt for any other verdict.
std::optional<std::string> forward_unproven_note(const Verdict& v, const Name& forward_zone);

// Why there was nothing (or not enough) to validate: the upstream side of "could not
// resolve". The proxy maps its UpstreamStatus onto this.
enum class FetchFailure : uint8_t {
  None,          // every query was answered
  Timeout,       // no server answered one query in time (EDE 22)
  Deadline,      // the whole explain run exceeded query_timeout_ms, as a client would (EDE 22)
  Unreachable,   // connection refused or another network error (EDE 23)
  ServerFailed,  // every server answered SERVFAIL, REFUSED, NOTIMP or FORMERR (EDE 23)
  BadReply,      // every server answered with something unusable (EDE 23)
  Malformed,     // the answer did not parse (EDE 23)
};

// The EDE for an upstream that gave no usable answer (the daemon's SERVFAIL and explain's
// report word it the same way).
// `detail`, when not empty, is the transport's own account ("tls://127.0.0.1:853#dns.test:
// SPKI pin mismatch"): the text then, with the code `f` gives.
ExtendedError failure_ede(FetchFailure f, std::string_view upstreams, uint32_t query_timeout_ms,
                          std::string_view detail = {});
// Seconds since the epoch as "2026-11-20T00:00:00Z".
std::string format_utc(int64_t unix_time);

}  // namespace dnsp::resolver
