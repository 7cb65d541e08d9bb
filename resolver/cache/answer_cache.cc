#include "resolver/cache/answer_cache.h"

#include <algorithm>
#include <cstring>

#include "resolver/serve/replies.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/wire_reader.h"

namespace dnsp::resolver {
namespace {

constexpr size_t kEntryOverhead = 160;  // list node, map node, vectors' headers

}  // namespace

CacheKey CacheKey::of(const ClientQuery& q) {
  return CacheKey{
      q.question.name, q.question.type,
      static_cast<uint8_t>((q.dnssec_ok ? kDnssecOkShape : 0) | (q.has_edns ? kEdnsShape : 0))};
}

void AnswerCache::store(const ClientQuery& q, std::vector<uint8_t> reply, Security security,
                        int64_t valid_until_unix, int64_t now_unix, uint64_t now_ms) {
  auto msg = Message::parse(reply);
  if (!msg) return;
  const RCode rcode = msg->rcode();
  if (rcode != RCode::NoError && rcode != RCode::NXDomain) return;
  if (msg->has_flag(flag::kTC)) return;
  Entry e;
  e.key = CacheKey::of(q);
  e.security = security;
  uint64_t ttl = limits_.max_ttl;
  bool has_answer = false;
  std::optional<uint32_t> negative_ttl;
  for (const auto& rr : msg->records()) {
    e.ttl_offsets.push_back(static_cast<uint16_t>(rr.rdata_offset - 6));
    e.ttls.push_back(rr.ttl);
    if (rr.section == Section::Additional) continue;
    if (rr.section == Section::Answer) has_answer = true;
    ttl = std::min<uint64_t>(ttl, rr.ttl);
    if (rr.section == Section::Authority && rr.type == RRType::SOA) {
      // RFC 2308 §5: a negative answer lives min(SOA TTL, SOA MINIMUM).
      // Our own replies carry RDATA uncompressed (MessageBuilder compresses owners only).
      auto soa = parse_soa(msg->rdata(rr));
      if (soa) negative_ttl = std::min(rr.ttl, soa->minimum);
    }
  }
  const bool negative = rcode == RCode::NXDomain || !has_answer;
  if (negative) {
    // RFC 2308 §5: negative answers without an SOA are not cached.
    if (!negative_ttl) return;
    ttl = std::min<uint64_t>(ttl, *negative_ttl);
  }
  // RFC 4035 §5.3.3: never past the expiration of the signatures the verdict rests on.
  if (valid_until_unix > now_unix) {
    ttl = std::min<uint64_t>(ttl, static_cast<uint64_t>(valid_until_unix - now_unix));
  }
  if (ttl == 0) return;
  e.stored_ms = now_ms;
  e.expires_ms = now_ms + ttl * 1000;
  e.reply = std::move(reply);
  e.reply.shrink_to_fit();  // the builder reserved more than the reply needed
  std::lock_guard lock(mu_);
  insert(std::move(e));
}

void AnswerCache::store_bogus(const ClientQuery& q, const ExtendedError& ede, uint64_t now_ms) {
  if (limits_.bogus_ttl == 0) return;
  Entry e;
  e.key = CacheKey::of(q);
  e.security = Security::Bogus;
  e.bogus = true;
  e.ede = ede;
  e.stored_ms = now_ms;
  e.expires_ms = now_ms + uint64_t{limits_.bogus_ttl} * 1000;
  std::lock_guard lock(mu_);
  insert(std::move(e));
}

bool AnswerCache::lookup_stale(const ClientQuery& q, size_t limit, uint64_t now_ms,
                               std::vector<uint8_t>& out) {
  if (limits_.stale_window == 0) return false;
  std::lock_guard lock(mu_);
  auto it = map_.find(CacheKey::of(q));
  if (it == map_.end()) return false;
  const Entry& e = *it->second;
  if (e.bogus || e.expires_ms + uint64_t{limits_.stale_window} * 1000 <= now_ms) return false;
  // Every TTL becomes kStaleAnswerTtl, then the reply is rebuilt for this client with the
  // EDE (the slow path: this only runs when the upstreams are down).
  std::vector<uint8_t> stale = e.reply;
  for (uint16_t offset : e.ttl_offsets) store_u32(stale.data() + offset, kStaleAnswerTtl);
  auto msg = Message::parse(stale);
  if (!msg) return false;
  const bool nxdomain = msg->rcode() == RCode::NXDomain;
  const uint64_t age_s = now_ms > e.expires_ms ? (now_ms - e.expires_ms) / 1000 : 0;
  const ExtendedError ede{nxdomain ? EdeCode::StaleNxdomainAnswer : EdeCode::StaleAnswer,
                          "every upstream failed; serving an answer that expired " +
                              std::to_string(age_s) + " s ago (RFC 8767)"};
  const AdBit ad = e.security == Security::Secure && q.wants_ad() ? AdBit::Set : AdBit::Clear;
  out = forward_reply(q, *msg, ad, limit, &ede);
  lru_.splice(lru_.begin(), lru_, it->second);
  return true;
}

void AnswerCache::insert(Entry e) {
  // What the entry really holds on the heap: capacities, plus the allocator's own
  // bookkeeping for each of the (at most five) allocations.
  e.cost = kEntryOverhead + sizeof(Entry) + e.reply.capacity() +
           e.ttl_offsets.capacity() * sizeof(uint16_t) + e.ttls.capacity() * sizeof(uint32_t) +
           e.ede.text.capacity() + 5 * 16;
  if (e.cost > limits_.max_bytes) return;
  if (auto it = map_.find(e.key); it != map_.end()) erase(it->second);
  while (bytes_ + e.cost > limits_.max_bytes && !lru_.empty()) erase(std::prev(lru_.end()));
  bytes_ += e.cost;
  lru_.push_front(std::move(e));
  map_.emplace(lru_.front().key, lru_.begin());
}

void AnswerCache::erase(Lru::iterator it) {
  bytes_ -= it->cost;
  map_.erase(it->key);
  lru_.erase(it);
}

void AnswerCache::clear() {
  std::lock_guard lock(mu_);
  lru_.clear();
  map_.clear();
  bytes_ = 0;
}

size_t AnswerCache::clear_below(const Name& zone) {
  std::lock_guard lock(mu_);
  size_t dropped = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->key.name.is_subdomain_of(zone)) {
      erase(it);
      ++dropped;
    }
    it = next;
  }
  return dropped;
}

size_t AnswerCache::clear_name(const Name& name) {
  std::lock_guard lock(mu_);
  size_t dropped = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->key.name == name) {
      erase(it);
      ++dropped;
    }
    it = next;
  }
  return dropped;
}

size_t AnswerCache::clear_bogus() {
  std::lock_guard lock(mu_);
  size_t dropped = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->bogus) {
      erase(it);
      ++dropped;
    }
    it = next;
  }
  return dropped;
}

CacheLookup AnswerCache::lookup(const ClientQuery& q, std::span<const uint8_t> query_packet,
                                size_t limit, uint64_t now_ms, std::vector<uint8_t>& out) {
  const CacheKey key = CacheKey::of(q);
  std::lock_guard lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return CacheLookup::Miss;
  Entry& e = *it->second;
  if (e.expires_ms <= now_ms) {
    // Kept for serve-stale while the window lasts (never bogus verdicts).
    if (e.bogus || e.expires_ms + uint64_t{limits_.stale_window} * 1000 <= now_ms) {
      erase(it->second);
    }
    return CacheLookup::Miss;
  }
  lru_.splice(lru_.begin(), lru_, it->second);  // most recently used
  ++e.hits;
  CacheLookup hit = CacheLookup::Hit;
  if (limits_.prefetch && !e.bogus && !e.prefetch_requested && e.hits >= 2 &&
      (e.expires_ms - now_ms) * 10 < e.expires_ms - e.stored_ms) {
    e.prefetch_requested = true;
    hit = CacheLookup::HitRefresh;
  }
  if (e.bogus) {
    out = error_reply(q, EchoQuestion::Yes, RCode::ServFail, &e.ede);
    return hit;
  }
  const AdBit ad = e.security == Security::Secure && q.wants_ad() ? AdBit::Set : AdBit::Clear;
  if (e.reply.size() > limit) {
    // Too big for this client's UDP size: rebuild from the stored reply (sets TC).
    auto msg = Message::parse(e.reply);
    if (!msg) return CacheLookup::Miss;
    out = forward_reply(q, *msg, ad, limit, nullptr);
    return hit;
  }
  out.assign(e.reply.begin(), e.reply.end());
  uint8_t* p = out.data();
  store_u16(p, q.id);
  // Flags: ours, with the client's RD and CD (RFC 1035 §4.1.1, RFC 4035 §3.2.2) and AD as
  // this client may see it (RFC 6840 §5.7).
  uint16_t flags = load_u16(p + 2) & ~(flag::kRD | flag::kCD | flag::kAD);
  flags |= q.flags & (flag::kRD | flag::kCD);
  if (ad == AdBit::Set) flags |= flag::kAD;
  store_u16(p + 2, flags);
  // The question as the client wrote it: same name, maybe other letter case.
  const size_t qlen = q.question.name.wire_size();
  if (query_packet.size() >= kHeaderSize + qlen && out.size() >= kHeaderSize + qlen) {
    std::memcpy(p + kHeaderSize, query_packet.data() + kHeaderSize, qlen);
  }
  // TTLs count down (RFC 1035 §6.2 / RFC 8767 §4: never below zero).
  const uint64_t elapsed = (now_ms - e.stored_ms) / 1000;
  if (elapsed > 0) {
    for (size_t i = 0; i < e.ttl_offsets.size(); ++i) {
      const uint32_t ttl = e.ttls[i] > elapsed ? e.ttls[i] - static_cast<uint32_t>(elapsed) : 0;
      store_u32(p + e.ttl_offsets[i], ttl);
    }
  }
  return hit;
}

}  // namespace dnsp::resolver
