#include "resolver/local/local_data.h"

#include <algorithm>
#include <unordered_set>

#include "resolver/wire/zone_text.h"

namespace dnsp::resolver {

Name reverse_name(std::span<const uint8_t> address) {
  std::string text;
  if (address.size() == 4) {
    for (size_t i = 4; i-- > 0;) text += std::to_string(address[i]) + ".";
    text += "in-addr.arpa.";
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = address.size(); i-- > 0;) {
      text += kHex[address[i] & 0xF];
      text += '.';
      text += kHex[address[i] >> 4];
      text += '.';
    }
    text += "ip6.arpa.";
  }
  auto name = Name::from_text(text);
  return name ? *name : Name::root();  // always parses: at most 74 labels of one octet
}

std::optional<std::string> LocalData::add(const Name& owner, RRType type, uint32_t ttl,
                                          std::vector<uint8_t> rdata, Source source,
                                          const std::string& origin) {
  Node& node = nodes_.try_emplace(owner, Node{owner, source, origin, {}}).first->second;
  const bool has_cname = std::any_of(node.rrsets.begin(), node.rrsets.end(),
                                     [](const Rrset& r) { return r.type == RRType::CNAME; });
  // RFC 1034 §3.6.2, RFC 2181 §10.1: a CNAME is the only data at its name, and only one.
  if ((type == RRType::CNAME && !node.rrsets.empty() &&
       !(has_cname && node.rrsets.size() == 1 && node.rrsets[0].rdatas[0] == rdata)) ||
      (type != RRType::CNAME && has_cname)) {
    return owner.to_string() + " would have a CNAME and other data (first defined at " +
           node.origin + "); a name with a CNAME has nothing else (RFC 1034 §3.6.2)";
  }
  for (Rrset& r : node.rrsets) {
    if (r.type != type) continue;
    // RFC 2181 §5.2: the TTLs of an RRset are equal; the lowest written wins.
    r.ttl = std::min(r.ttl, ttl);
    if (std::find(r.rdatas.begin(), r.rdatas.end(), rdata) == r.rdatas.end())
      r.rdatas.push_back(std::move(rdata));
    return std::nullopt;
  }
  node.rrsets.push_back(Rrset{type, ttl, {std::move(rdata)}});
  return std::nullopt;
}

Result<LocalData, std::string> LocalData::from_records(std::span<const LocalRecordText> records,
                                                       uint32_t default_ttl) {
  LocalData data;
  for (const LocalRecordText& r : records) {
    auto parsed = parse_zone_text(r.text, "record", ZoneRecords::LocalData, default_ttl);
    if (!parsed) {
      // "record:1: A: expected an IPv4 address..." -> after the entry's own place.
      std::string why = parsed.error();
      if (why.starts_with("record:1: ")) why = why.substr(10);
      return unexpected(r.where + ": bad record \"" + r.text + "\": " + why);
    }
    if (parsed->size() != 1) {
      return unexpected(r.where + ": \"" + r.text + "\": expected exactly one record, got " +
                        std::to_string(parsed->size()));
    }
    ZoneRecord& z = parsed->front();
    if (z.klass != RRClass::IN) {
      return unexpected(r.where + ": \"" + r.text + "\": only class IN is answered");
    }
    if (auto bad = data.add(z.owner, z.type, z.ttl, std::move(z.rdata), Source::Records, r.where)) {
      return unexpected(r.where + ": " + *bad);
    }
  }
  return data;
}

std::vector<std::string> LocalData::add_hosts(std::span<const HostsEntry> entries,
                                              std::string_view source_name, uint32_t ttl) {
  std::vector<std::string> notes;
  // Names [local] records define before the hosts file is read: theirs.
  std::unordered_set<Name, NameHash> from_records;
  for (const auto& entry : nodes_) from_records.insert(entry.first);
  for (const HostsEntry& e : entries) {
    const std::string origin = std::string(source_name) + ":" + std::to_string(e.line);
    const RRType type = e.address.size() == 4 ? RRType::A : RRType::AAAA;
    for (const Name& name : e.names) {
      if (from_records.count(name) != 0) {
        notes.push_back(origin + ": " + name.to_string() +
                        " left out: [local] records define it already");
        continue;
      }
      if (auto bad = add(name, type, ttl, e.address, Source::HostsFile, origin))
        notes.push_back(origin + ": " + *bad);
    }
    const bool unspecified =
        std::all_of(e.address.begin(), e.address.end(), [](uint8_t b) { return b == 0; });
    if (unspecified || e.names.empty()) continue;
    const Name reverse = reverse_name(e.address);
    if (from_records.count(reverse) != 0) continue;  // [local] records answer that PTR
    const auto target = e.names.front().wire();
    (void)add(reverse, RRType::PTR, ttl, {target.begin(), target.end()}, Source::HostsFile, origin);
  }
  return notes;
}

std::optional<std::vector<ReplyRecord>> LocalData::lookup(const Question& q) const {
  if (q.klass != RRClass::IN || nodes_.empty()) return std::nullopt;
  auto it = nodes_.find(q.name);
  if (it == nodes_.end()) return std::nullopt;
  std::vector<ReplyRecord> out;
  std::vector<const Node*> seen;
  const Node* node = &it->second;
  while (node != nullptr && seen.size() < kMaxChain &&
         std::find(seen.begin(), seen.end(), node) == seen.end()) {
    seen.push_back(node);
    const Rrset* cname = nullptr;
    bool answered = false;
    for (const Rrset& r : node->rrsets) {
      if (r.type == q.type || q.type == RRType::ANY) {
        for (const auto& rdata : r.rdatas)
          out.push_back({Section::Answer, &node->owner, r.type, r.ttl, rdata});
        answered = true;
      } else if (r.type == RRType::CNAME) {
        cname = &r;
      }
    }
    if (answered || cname == nullptr) break;
    // RFC 1034 §3.6.2 / §4.3.2 step 3a: the CNAME, then its target's records when local.
    out.push_back({Section::Answer, &node->owner, RRType::CNAME, cname->ttl, cname->rdatas[0]});
    auto target = Name::from_wire(cname->rdatas[0]);
    if (!target) break;
    auto next = nodes_.find(*target);
    node = next == nodes_.end() ? nullptr : &next->second;
  }
  return out;
}

std::optional<std::vector<uint8_t>> LocalData::reply(const ClientQuery& q, size_t limit) const {
  auto records = lookup(q.question);
  if (!records) return std::nullopt;
  return local_reply(q, limit, *records);
}

}  // namespace dnsp::resolver
