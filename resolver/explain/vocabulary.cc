#include "resolver/explain/vocabulary.h"

namespace dnsp::resolver {

std::string_view ede_name(EdeCode code) {
  switch (code) {
    case EdeCode::Other:
      return "Other Error";
    case EdeCode::UnsupportedDnskeyAlgorithm:
      return "Unsupported DNSKEY Algorithm";
    case EdeCode::UnsupportedDsDigestType:
      return "Unsupported DS Digest Type";
    case EdeCode::StaleAnswer:
      return "Stale Answer";
    case EdeCode::ForgedAnswer:
      return "Forged Answer";
    case EdeCode::DnssecIndeterminate:
      return "DNSSEC Indeterminate";
    case EdeCode::DnssecBogus:
      return "DNSSEC Bogus";
    case EdeCode::SignatureExpired:
      return "Signature Expired";
    case EdeCode::SignatureNotYetValid:
      return "Signature Not Yet Valid";
    case EdeCode::DnskeyMissing:
      return "DNSKEY Missing";
    case EdeCode::RrsigsMissing:
      return "RRSIGs Missing";
    case EdeCode::NoZoneKeyBitSet:
      return "No Zone Key Bit Set";
    case EdeCode::NsecMissing:
      return "NSEC Missing";
    case EdeCode::CachedError:
      return "Cached Error";
    case EdeCode::NotReady:
      return "Not Ready";
    case EdeCode::Blocked:
      return "Blocked";
    case EdeCode::Censored:
      return "Censored";
    case EdeCode::Filtered:
      return "Filtered";
    case EdeCode::Prohibited:
      return "Prohibited";
    case EdeCode::StaleNxdomainAnswer:
      return "Stale NXDOMAIN Answer";
    case EdeCode::NotAuthoritative:
      return "Not Authoritative";
    case EdeCode::NotSupported:
      return "Not Supported";
    case EdeCode::NoReachableAuthority:
      return "No Reachable Authority";
    case EdeCode::NetworkError:
      return "Network Error";
    case EdeCode::InvalidData:
      return "Invalid Data";
    case EdeCode::UnsupportedNsec3Iterations:
      return "Unsupported NSEC3 Iterations Value";
  }
  return "Unknown";
}

std::string_view reason_id(Reason r) {
  switch (r) {
    case Reason::None:
      return "none";
    case Reason::NoTrustAnchor:
      return "no_trust_anchor";
    case Reason::UnsignedDelegation:
      return "unsigned_delegation";
    case Reason::OptOutDelegation:
      return "opt_out_delegation";
    case Reason::UnsupportedAlgorithm:
      return "unsupported_algorithm";
    case Reason::UnsupportedDigest:
      return "unsupported_digest";
    case Reason::Nsec3IterationsTooHigh:
      return "nsec3_iterations_too_high";
    case Reason::NegativeTrustAnchor:
      return "negative_trust_anchor";
    case Reason::DenialNotChecked:
      return "denial_not_checked";
    case Reason::SignatureExpired:
      return "signature_expired";
    case Reason::SignatureNotYetValid:
      return "signature_not_yet_valid";
    case Reason::SignatureInvalid:
      return "signature_invalid";
    case Reason::RrsigsMissing:
      return "rrsigs_missing";
    case Reason::NoMatchingKey:
      return "no_matching_key";
    case Reason::DnskeyMissing:
      return "dnskey_missing";
    case Reason::NoDnskeyMatchesDs:
      return "no_dnskey_matches_ds";
    case Reason::DnskeyNotSignedByDsKey:
      return "dnskey_not_signed_by_ds_key";
    case Reason::NoZoneKeyBit:
      return "no_zone_key_bit";
    case Reason::NsecMissing:
      return "nsec_missing";
    case Reason::DenialNotProven:
      return "denial_not_proven";
    case Reason::BadSigner:
      return "bad_signer";
    case Reason::UpstreamStripsDnssec:
      return "upstream_strips_dnssec";
    case Reason::TooMuchWork:
      return "too_much_work";
    case Reason::CryptoError:
      return "crypto_error";
    case Reason::MalformedData:
      return "malformed_data";
    case Reason::InconsistentAnswer:
      return "inconsistent_answer";
  }
  return "none";
}

std::string_view denial_kind_id(DenialKind k) {
  switch (k) {
    case DenialKind::NxDomain:
      return "nxdomain";
    case DenialKind::NoData:
      return "nodata";
    case DenialKind::WildcardNoData:
      return "wildcard_nodata";
    case DenialKind::NoDs:
      return "no_ds";
    case DenialKind::OptOut:
      return "opt_out";
    case DenialKind::NotACut:
      return "not_a_cut";
    case DenialKind::WildcardAnswerOk:
      return "wildcard_answer";
    case DenialKind::NotProven:
      return "not_proven";
    case DenialKind::UnsupportedIterations:
      return "unsupported_iterations";
  }
  return "not_proven";
}

std::string_view failure_id(FetchFailure f) {
  switch (f) {
    case FetchFailure::None:
      return "none";
    case FetchFailure::Timeout:
      return "timeout";
    case FetchFailure::Deadline:
      return "deadline";
    case FetchFailure::Unreachable:
      return "unreachable";
    case FetchFailure::ServerFailed:
      return "server_failed";
    case FetchFailure::BadReply:
      return "bad_reply";
    case FetchFailure::Malformed:
      return "malformed";
  }
  return "none";
}

std::string_view window_id(RrsigWindow w) {
  switch (w) {
    case RrsigWindow::Valid:
      return "valid";
    case RrsigWindow::Expired:
      return "expired";
    case RrsigWindow::NotYetValid:
      return "not_yet_valid";
  }
  return "valid";
}

std::string_view ds_source_id(DsSource s) {
  switch (s) {
    case DsSource::None:
      return "none";
    case DsSource::TrustAnchor:
      return "trust_anchor";
    case DsSource::Parent:
      return "parent";
    case DsSource::KeyCache:
      return "key_cache";
  }
  return "none";
}

std::string_view purpose_id(DenialPurpose p) {
  switch (p) {
    case DenialPurpose::NegativeAnswer:
      return "negative_answer";
    case DenialPurpose::WildcardAnswer:
      return "wildcard_answer";
    case DenialPurpose::NoDs:
      return "no_ds";
  }
  return "negative_answer";
}

std::string format_duration(int64_t seconds) {
  if (seconds < 0) seconds = -seconds;
  const auto unit = [](int64_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  if (seconds >= 2 * 86400) return unit(seconds / 86400, "day");
  if (seconds >= 2 * 3600) return unit(seconds / 3600, "hour");
  if (seconds >= 2 * 60) return unit(seconds / 60, "minute");
  return unit(seconds, "second");
}

}  // namespace dnsp::resolver
