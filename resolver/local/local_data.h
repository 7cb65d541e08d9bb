// LocalData: the names the proxy answers itself ([local] records and hosts file), as a table
// name -> RRsets, and its answers: the records of the asked type (a CNAME followed only
// through local data), NODATA for other types of a local name, PTR records for hosts-file
// addresses (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa). Pure data: files are read
// by proxy/local_data_watch.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/local/hosts_file.h"
#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/wire/name.h"
#include "resolver/wire/result.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

// One [local] records entry: its text ("printer.home.arpa. 300 A 192.168.1.20") and where it
// was written, for errors ("proxy.toml:12: local.records[0]").
struct LocalRecordText {
  std::string text;
  std::string where;
};

class LocalData {
 public:
  struct Rrset {
    RRType type;
    uint32_t ttl;
    std::vector<std::vector<uint8_t>> rdatas;  // uncompressed wire RDATA, no duplicates
  };
  enum class Source : uint8_t { Records, HostsFile };
  struct Node {
    Name owner;          // as first written
    Source source;       // [local] records, or the hosts file
    std::string origin;  // where it was first defined: "proxy.toml:12: local.records[0]"
    std::vector<Rrset> rrsets;
  };

  // Parses each [local] records entry as one zone-file record (resolver/wire/zone_text.h,
  // ZoneRecords::LocalData; no TTL written: `default_ttl`). Errors name the entry's `where`
  // and say what is wrong with it. RFC 1034 §3.6.2 / RFC 2181 §10.1: a name with a CNAME
  // has no other data; that is an error too.
  static Result<LocalData, std::string> from_records(std::span<const LocalRecordText> records,
                                                     uint32_t default_ttl);
  // Adds the hosts file's names (A or AAAA, TTL `ttl`) and, for each address, PTR records
  // to the first name of each of its lines, except for the unspecified addresses 0.0.0.0 and
  // :: (block lists map thousands of names there). A hosts name that [local] records
  // already define is left to them (said in the returned lines, like a name that would be
  // both a CNAME and an address).
  std::vector<std::string> add_hosts(std::span<const HostsEntry> entries,
                                     std::string_view source_name, uint32_t ttl);

  bool empty() const { return nodes_.empty(); }
  size_t size() const { return nodes_.size(); }
  const std::unordered_map<Name, Node, NameHash>& nodes() const { return nodes_; }

  // The answer to `q` when its name is local (class IN): the records (in answer order; none
  // is NODATA), else nullopt (not ours: resolve as usual). A CNAME is followed while its
  // target is local too, at most kMaxChain links; any other type of a local name is NODATA.
  // Names below a local name are not local unless listed themselves. This is Unbound's
  // local-data in its default `transparent` local-zone: the name's data, NODATA for its
  // other types, and any other name resolved as usual.
  static constexpr size_t kMaxChain = 8;
  std::optional<std::vector<ReplyRecord>> lookup(const Question& q) const;
  // lookup() as the reply the client gets (local_reply(): AA, AD clear), or nullopt.
  std::optional<std::vector<uint8_t>> reply(const ClientQuery& q, size_t limit) const;

 private:
  // Adds one record; an error message when it breaks the CNAME rule.
  std::optional<std::string> add(const Name& owner, RRType type, uint32_t ttl,
                                 std::vector<uint8_t> rdata, Source source,
                                 const std::string& origin);
  std::unordered_map<Name, Node, NameHash> nodes_;
};

// RFC 1035 §3.5 / RFC 3596 §2.5: the reverse name of a 4- or 16-octet address
// ("20.1.168.192.in-addr.arpa.", "...8.b.d.0.1.0.0.2.ip6.arpa.").
Name reverse_name(std::span<const uint8_t> address);

}  // namespace dnsp::resolver
