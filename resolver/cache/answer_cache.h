// AnswerCache: validated replies kept as wire bytes, so that a hit is: look up, copy, patch
// ID, flags, the question's letter case and the TTLs, send (STYLE §2 hot path). Positive
// and negative answers (RFC 2308 §5), and bogus verdicts for a short while (RFC 9520),
// bounded in bytes with least-recently-used eviction. Time is a parameter (monotonic ms).
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/serve/client_query.h"
#include "resolver/verify/cache_mutex.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/ede.h"
#include "resolver/wire/message.h"

namespace dnsp::resolver {

struct AnswerCacheLimits {
  size_t max_bytes = 64u << 20;  // [cache] max_size
  uint32_t max_ttl = 86400;      // seconds
  uint32_t bogus_ttl = 60;       // RFC 9520 §3: at least 1 s, at most 5 min suggested
  // RFC 8767 serve-stale: expired answers are kept this long past their TTL for
  // lookup_stale(). 0: off (expired answers are dropped when met).
  uint32_t stale_window = 0;  // seconds
  // Prefetch: a hit on a popular entry (hit before) in the last tenth of its TTL asks the
  // caller to refresh it, once per stored answer.
  bool prefetch = false;
};

// RFC 8767 §4: the TTL of a stale answer ("30 seconds is a recommended value").
inline constexpr uint32_t kStaleAnswerTtl = 30;

// What a client asked that changes the reply's shape. Built without allocating.
struct CacheKey {
  Name name;  // compared case-insensitively
  RRType type = RRType::A;
  uint8_t shape = 0;                            // the k*Shape bits below, or-ed
  static constexpr uint8_t kDnssecOkShape = 1;  // DO set: RRSIGs and proofs in the reply
  static constexpr uint8_t kEdnsShape = 2;      // an OPT record in the query
  // CD set: never in the answer cache (CD queries skip it); proxy/ keys its in-flight table
  // with it, so that CD answers are never shared with other clients.
  static constexpr uint8_t kCheckingDisabledShape = 4;
  static CacheKey of(const ClientQuery& q);
  friend bool operator==(const CacheKey& a, const CacheKey& b) {
    return a.type == b.type && a.shape == b.shape && a.name == b.name;
  }
};
struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const {
    return k.name.hash() ^ (size_t{to_u16(k.type)} << 2 | k.shape) * 0x9E3779B97F4A7C15ull;
  }
};

// What AnswerCache::lookup() found.
enum class CacheLookup : uint8_t {
  Miss,        // nothing usable: ask upstream
  Hit,         // the reply is written
  HitRefresh,  // the reply is written, and the entry is due for a refresh (prefetch)
};

// Thread-safe: one cache serves every event loop (proxy/workers.h); each call holds the
// cache's mutex (a hit: one hash lookup, a splice and a copy of the reply).
class AnswerCache {
 public:
  explicit AnswerCache(AnswerCacheLimits limits = {}) : limits_(limits) {}

  // Keeps the reply built for `q` from the validated upstream answer: `reply` is what
  // forward_reply built without a size limit (AD as for a client that wants it).
  // The TTL is the smallest record TTL (RFC 2308 §5 for negative answers: the SOA's TTL
  // and MINIMUM), bounded by `valid_until_unix - now_unix` (RFC 4035 §5.3.3) and max_ttl.
  void store(const ClientQuery& q, std::vector<uint8_t> reply, Security security,
             int64_t valid_until_unix, int64_t now_unix, uint64_t now_ms);
  // Remembers a bogus verdict (the SERVFAIL reply with its EDE) for bogus_ttl.
  void store_bogus(const ClientQuery& q, const ExtendedError& ede, uint64_t now_ms);

  // Writes a ready reply for `q` fitting in `limit` octets into `out` (whose capacity is
  // reused: no allocation on a hit) and says so; Miss on a miss or an expired entry.
  // `query_packet` is the client's packet (its qname octets give the letter case).
  // HitRefresh (only with AnswerCacheLimits::prefetch on, once per stored entry): this hit
  // should start a refresh of the entry (RFC 8767 §6 calls it "prefetching").
  CacheLookup lookup(const ClientQuery& q, std::span<const uint8_t> query_packet, size_t limit,
                     uint64_t now_ms, std::vector<uint8_t>& out);
  // RFC 8767 §4-5, for when every upstream failed: the expired answer for `q` if it expired
  // at most stale_window ago (never a bogus one), with every TTL kStaleAnswerTtl and EDE 3
  // (Stale Answer), or 19 (Stale NXDOMAIN Answer) for NXDOMAIN (RFC 8914 §4.4, §4.20).
  bool lookup_stale(const ClientQuery& q, size_t limit, uint64_t now_ms, std::vector<uint8_t>& out);

  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  size_t entries() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }
  void clear();
  // Drops the answers for names at or below `zone` (a forward zone changed, a flush);
  // returns how many.
  size_t clear_below(const Name& zone);
  // Drops the answers for exactly `name`, every type and shape; returns how many.
  size_t clear_name(const Name& name);
  // Drops every bogus verdict held (RFC 9520); returns how many.
  size_t clear_bogus();

 private:
  struct Entry {
    CacheKey key;
    std::vector<uint8_t> reply;
    std::vector<uint8_t> upstream;      // for a slower rebuild when reply is too big
    std::vector<uint16_t> ttl_offsets;  // where each record's TTL sits in `reply`
    std::vector<uint32_t> ttls;         // their values when stored
    Security security;
    bool bogus = false;
    uint32_t hits = 0;
    bool prefetch_requested = false;
    ExtendedError ede{EdeCode::Other, ""};  // bogus entries: what the SERVFAIL says
    uint64_t stored_ms;
    uint64_t expires_ms;
    size_t cost;  // bytes charged against max_bytes
  };
  using Lru = std::list<Entry>;

  void insert(Entry e);
  void erase(Lru::iterator it);

  mutable CacheMutex mu_;
  AnswerCacheLimits limits_;
  Lru lru_;  // most recently used first
  std::unordered_map<CacheKey, Lru::iterator, CacheKeyHash> map_;
  size_t bytes_ = 0;
};

}  // namespace dnsp::resolver
