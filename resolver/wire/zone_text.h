// A small reader of zone file text (RFC 1035 §5.1): for trust anchor files, DS records
// (RFC 4034 §5.3) and DNSKEY records (RFC 4034 §2.2) only; for local data ([local] records),
// A, AAAA (RFC 3596 §2.4), CNAME, PTR, NS, MX, TXT (RFC 1035 §3.3) and SRV (RFC 2782). With
// comments, parentheses, $TTL (RFC 2308 §4) and $ORIGIN. Errors name the source and line:
// "anchors.txt:3: ...".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/name.h"
#include "resolver/wire/result.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

struct ZoneRecord {
  Name owner;
  RRType type;  // one of the types ZoneRecords allows
  RRClass klass;
  uint32_t ttl;
  std::vector<uint8_t> rdata;  // uncompressed wire RDATA
  size_t line;                 // 1-based line where the record starts
};

// Parses `text`, whose records look like
//   example.  3600 IN DS     60485 5 1 ( 2BB183AF5F22588179A53B0A
//                                        98631FAD1A292118 )   ; comment
//   example.  IN 3600 DNSKEY 256 3 RSASHA1 AQOeiiR0GOMYkDsh ... (base64 may be split)
//   example.  DS ...                      (TTL and class are optional, in either order)
//            DNSKEY ...                   (leading blank: the previous owner)
// Owner names without a final dot are relative to the last $ORIGIN (the root if none);
// "@" is the origin. A record without TTL takes $TTL, else the previous record's, else 0.
// The algorithm may be a number or a mnemonic ("RSASHA256"); DS digests of types 1, 2 and
// 4 must have their digest's length. Any other record type, $INCLUDE, a malformed field
// or unbalanced parentheses is an error "<source_name>:<line>: <what was wrong>".
// Text without records (empty, only comments) gives an empty vector.
// ZoneRecords::LocalData also reads A (dotted quad), AAAA (RFC 4291 §2.2 text), CNAME, PTR,
// NS (a name), MX (preference, exchange), TXT (one or more character strings, quoted or
// not, "\"" and "\DDD" escapes, each at most 255 octets) and SRV (priority, weight, port,
// target), and a record without TTL (and no $TTL or previous TTL) takes `default_ttl`.
enum class ZoneRecords : uint8_t { TrustAnchors, LocalData };
// A TTL as zone files write it: seconds, or BIND-style units ("90s", "15m", "1h30m", "2d",
// "1w", either case); at most 2^31 - 1 (RFC 2181 §8). Also read by `dnssec-proxy control`
// for its durations.
std::optional<uint32_t> parse_ttl_text(std::string_view text);
Result<std::vector<ZoneRecord>, std::string> parse_zone_text(
    std::string_view text, std::string_view source_name,
    ZoneRecords kind = ZoneRecords::TrustAnchors, uint32_t default_ttl = 0);

}  // namespace dnsp::resolver
