#include "resolver/verify/verdict.h"

#include <ctime>

namespace dnsp::resolver {

std::string_view to_string(Security s) {
  switch (s) {
    case Security::Bogus:
      return "bogus";
    case Security::Indeterminate:
      return "indeterminate";
    case Security::Insecure:
      return "insecure";
    case Security::Secure:
      return "secure";
  }
  return "?";
}

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::None:
      return "none";
    case Reason::NoTrustAnchor:
      return "no trust anchor";
    case Reason::UnsignedDelegation:
      return "unsigned delegation";
    case Reason::OptOutDelegation:
      return "NSEC3 opt-out delegation";
    case Reason::UnsupportedAlgorithm:
      return "unsupported DNSKEY algorithm";
    case Reason::UnsupportedDigest:
      return "unsupported DS digest type";
    case Reason::Nsec3IterationsTooHigh:
      return "NSEC3 iterations too high";
    case Reason::NegativeTrustAnchor:
      return "negative trust anchor";
    case Reason::DenialNotChecked:
      return "denial of existence not checked";
    case Reason::SignatureExpired:
      return "signature expired";
    case Reason::SignatureNotYetValid:
      return "signature not yet valid";
    case Reason::SignatureInvalid:
      return "signature invalid";
    case Reason::RrsigsMissing:
      return "RRSIGs missing";
    case Reason::NoMatchingKey:
      return "no DNSKEY matches the RRSIG";
    case Reason::DnskeyMissing:
      return "DNSKEY missing";
    case Reason::NoDnskeyMatchesDs:
      return "no DNSKEY matches the DS";
    case Reason::DnskeyNotSignedByDsKey:
      return "DNSKEY RRset not signed by the DS key";
    case Reason::NoZoneKeyBit:
      return "no zone key bit";
    case Reason::NsecMissing:
      return "NSEC/NSEC3 missing";
    case Reason::DenialNotProven:
      return "denial not proven";
    case Reason::BadSigner:
      return "bad RRSIG signer";
    case Reason::UpstreamStripsDnssec:
      return "upstream strips DNSSEC records";
    case Reason::TooMuchWork:
      return "validation limit reached";
    case Reason::CryptoError:
      return "cryptographic library error";
    case Reason::MalformedData:
      return "malformed records";
    case Reason::InconsistentAnswer:
      return "answer contradicts its validated records";
  }
  return "?";
}

EdeCode ede_code(Reason r) {
  switch (r) {
    case Reason::UnsupportedAlgorithm:
      return EdeCode::UnsupportedDnskeyAlgorithm;
    case Reason::UnsupportedDigest:
      return EdeCode::UnsupportedDsDigestType;
    case Reason::Nsec3IterationsTooHigh:
      return EdeCode::UnsupportedNsec3Iterations;
    case Reason::DenialNotChecked:
      return EdeCode::DnssecIndeterminate;
    case Reason::SignatureExpired:
      return EdeCode::SignatureExpired;
    case Reason::SignatureNotYetValid:
      return EdeCode::SignatureNotYetValid;
    case Reason::RrsigsMissing:
    case Reason::UpstreamStripsDnssec:
      return EdeCode::RrsigsMissing;
    case Reason::NoMatchingKey:
    case Reason::DnskeyMissing:
    case Reason::NoDnskeyMatchesDs:
      return EdeCode::DnskeyMissing;
    case Reason::NoZoneKeyBit:
      return EdeCode::NoZoneKeyBitSet;
    case Reason::NsecMissing:
    case Reason::DenialNotProven:
      return EdeCode::NsecMissing;
    case Reason::None:
    case Reason::NoTrustAnchor:
    case Reason::UnsignedDelegation:
    case Reason::OptOutDelegation:
    case Reason::NegativeTrustAnchor:
    case Reason::SignatureInvalid:
    case Reason::DnskeyNotSignedByDsKey:
    case Reason::BadSigner:
    case Reason::TooMuchWork:
    case Reason::CryptoError:
    case Reason::MalformedData:
    case Reason::InconsistentAnswer:
      return EdeCode::DnssecBogus;
  }
  return EdeCode::DnssecBogus;
}

std::string ede_text(const Verdict& v) {
  std::string s = v.zone.to_string();
  s += ": ";
  s += v.detail.empty() ? std::string(to_string(v.reason)) : v.detail;
  return s;
}

std::optional<ExtendedError> reply_ede(const Verdict& v, std::string_view upstreams) {
  if (v.security == Security::Bogus) {
    ExtendedError ede{ede_code(v.reason), ede_text(v)};
    if (v.reason == Reason::UpstreamStripsDnssec) {
      ede.text =
          "upstream " + std::string(upstreams) + " returns no DNSSEC records (" + ede.text + ")";
    } else if (v.reason == Reason::RrsigsMissing || v.reason == Reason::NsecMissing ||
               v.reason == Reason::DnskeyMissing) {
      // Missing records: the zone's fault, or an upstream that drops them (issue 22: Knot
      // Resolver without a trust anchor drops wildcard proofs). Say where they came from.
      ede.text += " (records as received from upstream " + std::string(upstreams) + ")";
    }
    return ede;
  }
  if (v.security == Security::Insecure &&
      (v.reason == Reason::UnsupportedAlgorithm || v.reason == Reason::UnsupportedDigest ||
       v.reason == Reason::Nsec3IterationsTooHigh)) {
    return ExtendedError{ede_code(v.reason), ede_text(v)};
  }
  return std::nullopt;
}

ExtendedError failure_ede(FetchFailure f, std::string_view upstreams, uint32_t query_timeout_ms,
                          std::string_view detail) {
  if (!detail.empty()) {
    ExtendedError ede = failure_ede(f, upstreams, query_timeout_ms);
    ede.text = std::string(detail);
    return ede;
  }
  const std::string up(upstreams);
  switch (f) {
    case FetchFailure::Timeout:
      return {EdeCode::NoReachableAuthority, "no answer from upstream " + up};
    case FetchFailure::Deadline:
      return {EdeCode::NoReachableAuthority, "no answer from upstream " + up + " within " +
                                                 std::to_string(query_timeout_ms) + " ms"};
    case FetchFailure::Unreachable:
      return {EdeCode::NetworkError, "upstream " + up + " unreachable"};
    case FetchFailure::ServerFailed:
      return {EdeCode::NetworkError,
              "upstream " + up + " answered SERVFAIL, REFUSED, NOTIMP or FORMERR"};
    case FetchFailure::Malformed:
      return {EdeCode::NetworkError, "upstream sent a malformed reply"};
    case FetchFailure::BadReply:
    case FetchFailure::None:
      break;
  }
  return {EdeCode::NetworkError, "no usable reply from upstream " + up};
}

std::string format_utc(int64_t unix_time) {
  const std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::string> forward_unproven_note(const Verdict& v, const Name& forward_zone) {
  if (v.security != Security::Bogus || v.zone.is_subdomain_of(forward_zone)) return std::nullopt;
  return forward_zone.to_string() +
         " is a [[forward]] zone validated from the chain above it, which does not lead to it "
         "securely: set dnssec = \"insecure\" for it, or add its trust anchor to "
         "trust_anchor_file";
}

}  // namespace dnsp::resolver
