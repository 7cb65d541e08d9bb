// The words the explain report is told in, shared by the causes (causes.h) and every renderer
// (render.h): RFC 8914 §5.2 EDE names, stable identifiers for JSON (docs/explain-schema.json)
// and any other machine-readable format, and the size of a time span.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "resolver/explain/report.h"

namespace dnsp::resolver {

// RFC 8914 §5.2 names: "DNSKEY Missing".
std::string_view ede_name(EdeCode code);
// Stable identifiers for JSON: "no_dnskey_matches_ds", "nx_domain", "trust_anchor", ...
std::string_view reason_id(Reason r);
std::string_view denial_kind_id(DenialKind k);
std::string_view failure_id(FetchFailure f);
std::string_view window_id(RrsigWindow w);
std::string_view ds_source_id(DsSource s);
std::string_view purpose_id(DenialPurpose p);

// "3 days", "1 hour", "40 seconds": the size of a time span, for causes and RRSIG windows.
std::string format_duration(int64_t seconds);

}  // namespace dnsp::resolver
