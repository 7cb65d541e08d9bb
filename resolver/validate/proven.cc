#include "resolver/validate/proven.h"

#include <algorithm>

namespace dnsp::resolver {

uint32_t ttl_cap(uint32_t original_ttl, int64_t valid_until, int64_t now) {
  const int64_t left = std::max<int64_t>(0, valid_until - now);
  return static_cast<uint32_t>(std::min<int64_t>(original_ttl, left));
}

const ProvenRrset* vouched_for(std::span<const ProvenRrset> proven, const Message& msg,
                               const RecordView& rr) {
  RRType type = rr.type;
  if (rr.type == RRType::RRSIG) {
    // RFC 4034 §3.1: Type Covered is the first field (never compressed).
    const auto rdata = msg.rdata(rr);
    if (rdata.size() < 2) return nullptr;
    type = static_cast<RRType>(static_cast<uint16_t>(rdata[0] << 8 | rdata[1]));
  }
  for (const ProvenRrset& p : proven) {
    if (p.section == rr.section && p.type == type && p.owner == rr.owner) return &p;
  }
  return nullptr;
}

}  // namespace dnsp::resolver
