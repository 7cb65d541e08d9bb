// The hosts file format (hosts(5), as glibc reads /etc/hosts): one address and its names per
// line, '#' to the end of the line a comment. Lenient as the C library is: a line it cannot
// use is skipped and said why, never the whole file refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/name.h"

namespace dnsp::resolver {

struct HostsEntry {
  std::vector<uint8_t> address;  // 4 octets (IPv4) or 16 (IPv6), network order
  std::vector<Name> names;       // the canonical name first, then the aliases; absolute
  size_t line;                   // 1-based
};

struct HostsParse {
  std::vector<HostsEntry> entries;
  // "<source>:<line>: <why the line was skipped>", one per line skipped (a bad address, an
  // IPv6 address with a zone index, no names) or per name left out (not a domain name).
  std::vector<std::string> skipped;
};

// Reads `text` (the file's contents) as hosts(5): fields separated by blanks, the address
// in inet_pton's form (IPv4 dotted quad or RFC 4291 §2.2 IPv6), then one or more names
// taken as absolute ("printer" is "printer.", as the C library would ask it). Names are
// kept as written; comparisons ignore case.
HostsParse parse_hosts(std::string_view text, std::string_view source_name);

}  // namespace dnsp::resolver
