// Trust anchors (RFC 4033 §2, RFC 4035 §4.4): per zone, the DS and/or DNSKEY records a
// validation chain may start from. Built in: the root KSK-2017 and KSK-2024 DS records of
// IANA's root-anchors.xml; or read from a zone-format file (zone_text.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/verify/verdict.h"
#include "resolver/wire/name.h"
#include "resolver/wire/result.h"

namespace dnsp::resolver {

struct TrustAnchor {
  Name zone;
  std::vector<std::vector<uint8_t>> ds_rdatas;      // DS RDATA (RFC 4034 §5.1), each once
  std::vector<std::vector<uint8_t>> dnskey_rdatas;  // DNSKEY RDATA (RFC 4034 §2.1), each once
  friend bool operator==(const TrustAnchor&, const TrustAnchor&) = default;
};

class TrustAnchors {
 public:
  TrustAnchors() = default;  // no anchors: every answer is Insecure

  // The root zone's DS records for KSK-2017 (key tag 20326) and KSK-2024 (key tag 38696),
  // both RSASHA256 with SHA-256 digests, as published in IANA's root-anchors.xml.
  static TrustAnchors builtin();
  // Parses DS and DNSKEY records in zone file format (see parse_zone_text), grouped by
  // owner. All records must be class IN; a DNSKEY must have the Zone Key flag (RFC 4034
  // §2.1.1: otherwise it must not verify RRSIGs). Errors are "<source_name>:<line>: ...".
  // Text without records is not an error: it gives an empty set.
  static Result<TrustAnchors, std::string> from_text(std::string_view text,
                                                     std::string_view source_name);
  // from_text() on the file's contents, named by `path`; "<path>: <strerror>" when the
  // file cannot be read.
  static Result<TrustAnchors, std::string> from_file(const std::string& path);

  // The anchor whose zone is `name` or its closest ancestor; nullptr when none encloses it
  // (the name is then outside every island of security: Insecure).
  const TrustAnchor* closest_enclosing(const Name& name) const;
  // The anchor for exactly `zone`, or nullptr.
  const TrustAnchor* find(const Name& zone) const;
  // Replaces the anchor for `anchor.zone` (or adds it): RFC 5011 updates of one zone.
  void set(TrustAnchor anchor);

  const std::vector<TrustAnchor>& anchors() const { return anchors_; }
  bool empty() const { return anchors_.empty(); }
  size_t size() const { return anchors_.size(); }  // number of zones with anchors
  friend bool operator==(const TrustAnchors&, const TrustAnchors&) = default;

 private:
  std::vector<TrustAnchor> anchors_;
};

// RFC 7646 negative trust anchors ([dnssec] negative_trust_anchors): the one at or above
// `name`, or nullptr. Answers below one are not validated.
const Name* covering_negative_anchor(const Name& name, std::span<const Name> negative_anchors);
// What an answer at or below negative trust anchor `nta` is: Insecure (RFC 7646 §2: the
// validator treats the domain as if it were unsigned), whatever its signatures say.
Verdict negative_anchor_verdict(const Name& nta);

}  // namespace dnsp::resolver
