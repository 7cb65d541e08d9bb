// The root key trust anchor sentinel (RFC 8509): a query for A or AAAA whose first label is
// root-key-sentinel-is-ta-NNNNN or root-key-sentinel-not-ta-NNNNN (NNNNN: a key tag in five
// decimal digits) asks whether the root key with that tag is one of our trust anchors. The
// answer is the normal one or SERVFAIL, decided only for answers validated as Secure.
#pragma once

#include <cstdint>
#include <optional>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

struct Sentinel {
  enum class Kind : uint8_t { IsTa, NotTa };
  Kind kind;
  uint16_t key_tag;
};

// The sentinel `qname`/`qtype` carries, if any (RFC 8509 §2-3: A or AAAA, the leftmost label,
// letters in any case, exactly five digits, at most 65535).
std::optional<Sentinel> parse_sentinel(const Name& qname, RRType qtype);

// Whether the root's trust anchors (`anchors`, as validation uses them now: DS key tags,
// and the tags of DNSKEY anchors without the REVOKE bit) include `key_tag`.
bool is_root_trust_anchor(const TrustAnchors& anchors, uint16_t key_tag);

// RFC 8509 §3.2, for a Secure answer: is-ta for a key we trust and not-ta for one we do not
// keep the answer (true); the other two become SERVFAIL (false).
bool sentinel_keeps_answer(const Sentinel& s, const TrustAnchors& anchors);

}  // namespace dnsp::resolver
