#include "resolver/wire/rrset.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "resolver/wire/rdata.h"

namespace dnsp::resolver {
namespace {

struct Key {
  Name owner;  // compared case-insensitively by Name's ==
  RRType type;
  RRClass klass;
  Section section;
  friend bool operator==(const Key&, const Key&) = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = k.owner.hash();
    h ^= (size_t{to_u16(k.type)} << 20) ^ (size_t{to_u16(k.klass)} << 4) ^
         static_cast<size_t>(k.section);
    return h;
  }
};

// RFC 2181 §5: an RRset holds no two identical records.
void add_unique(std::vector<std::vector<uint8_t>>& list, const std::vector<uint8_t>& rdata) {
  if (std::find(list.begin(), list.end(), rdata) == list.end()) list.push_back(rdata);
}

}  // namespace

WireResult<std::vector<RRset>> group_rrsets(const Message& msg) {
  const auto& records = msg.records();
  std::vector<RRset> sets;
  std::vector<size_t> first_record;  // per set: index of its first record, for ordering
  std::unordered_map<Key, size_t, KeyHash> index;
  std::vector<uint8_t> rdata;

  auto set_for = [&](const RecordView& rr, RRType type, size_t record_index) -> RRset& {
    auto [it, inserted] = index.try_emplace(Key{rr.owner, type, rr.klass, rr.section}, sets.size());
    if (inserted) {
      sets.push_back(RRset{rr.owner, type, rr.klass, rr.ttl, rr.section, {}, {}});
      first_record.push_back(record_index);
    }
    return sets[it->second];
  };

  // Pass 1: the data records, so that an RRSIG listed before its RRset still finds it.
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordView& rr = records[i];
    if (rr.type == RRType::RRSIG) continue;
    rdata.clear();
    if (!expand_rdata(msg, rr, rdata)) return unexpected(WireError::BadRdata);
    RRset& set = set_for(rr, rr.type, i);
    set.ttl = std::min(set.ttl, rr.ttl);
    add_unique(set.rdatas, rdata);
  }

  // Pass 2: each RRSIG joins the RRset it covers, or an RRSIG entry of its own.
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordView& rr = records[i];
    if (rr.type != RRType::RRSIG) continue;
    rdata.clear();
    if (!expand_rdata(msg, rr, rdata)) return unexpected(WireError::BadRdata);
    auto sig = parse_rrsig(rdata);
    if (!sig) return unexpected(WireError::BadRdata);
    auto covered = index.find(Key{rr.owner, sig->type_covered, rr.klass, rr.section});
    if (covered != index.end() && sig->type_covered != RRType::RRSIG) {
      add_unique(sets[covered->second].rrsigs, rdata);
      continue;
    }
    RRset& orphans = set_for(rr, RRType::RRSIG, i);
    orphans.ttl = std::min(orphans.ttl, rr.ttl);
    add_unique(orphans.rdatas, rdata);
  }

  // Order of first appearance in the message.
  std::vector<size_t> order(sets.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return first_record[a] < first_record[b]; });
  std::vector<RRset> ordered;
  ordered.reserve(sets.size());
  for (size_t k : order) ordered.push_back(std::move(sets[k]));
  return ordered;
}

}  // namespace dnsp::resolver
