// A small reader of zone file text (RFC 1035 §5.1) for trust anchor files: DS records
// (RFC 4034 §5.3) and DNSKEY records (RFC 4034 §2.2) only, with comments, parentheses,
// $TTL (RFC 2308 §4) and $ORIGIN. Errors name the source and line: "anchors.txt:3: ...".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/name.h"
#include "resolver/wire/result.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

struct ZoneRecord {
  Name owner;
  RRType type;  // DS or DNSKEY
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
Result<std::vector<ZoneRecord>, std::string> parse_zone_text(std::string_view text,
                                                             std::string_view source_name);

}  // namespace dnsp::resolver
