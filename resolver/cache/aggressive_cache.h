// AggressiveCache: aggressive use of the DNSSEC-validated cache (RFC 8198). Per signed zone,
// the NSEC and NSEC3 RRsets, the zone's SOA and the wildcard RRsets that a Secure validation
// verified, each until its TTL or its RRSIG's expiration ends (RFC 8198 §5.4, RFC 4035
// §5.3.3); and the NXDOMAIN, NODATA and wildcard-expanded answers they prove, built without
// asking upstream (RFC 8198 §5.1-§5.3). Every answer is decided by the proof functions of
// nsec.h / nsec3.h. Bounded in bytes, least recently used evicted. Time is a parameter.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/serve/replies.h"
#include "resolver/validate/denial.h"
#include "resolver/validate/validation_trace.h"
#include "resolver/verify/cache_mutex.h"
#include "resolver/verify/key_cache.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

struct AggressiveCacheLimits {
  size_t max_bytes = 8u << 20;          // a share of [cache] max_size (proxy/server.cc)
  uint32_t max_ttl = 86400;             // [cache] max_ttl: no record is kept longer
  uint16_t max_nsec3_iterations = 150;  // RFC 9276 §3.2: zones above it are not held
  uint32_t max_nsec3_hashes = 200;      // NSEC3 hash computations per synthesis (CVE-2023-50868)
};

// An answer built from memory.
struct Synthesis {
  DenialKind kind = DenialKind::NotProven;  // NxDomain, NoData, WildcardNoData or
                                            // WildcardAnswerOk
  Name zone;
  // answer(): the reply to the client as forward_reply() makes it, up to 65535 octets (what
  // the answer cache keeps). synthesise(): as an upstream would send it (ID 0, QR RD RA, every
  // record with its RRSIGs, no OPT).
  std::vector<uint8_t> message;
  // answer() only: the reply fitted to the client's limit when `message` exceeds it (TC set),
  // else empty.
  std::vector<uint8_t> fitted;
  int64_t valid_until = 0;  // the earliest RRSIG expiration of the records used (unix s)
  std::string detail;       // the proof, in words, for logs (when asked for)
};

// Thread-safe: every public call holds the cache's mutex.
class AggressiveCache {
 public:
  explicit AggressiveCache(AggressiveCacheLimits limits = {}) : limits_(limits) {}

  // Learns from one finished validation of `answer`; only when `verdict` is Secure, and only
  // the NSEC/NSEC3 and wildcard-expanded RRsets that `evidence` shows verified (Secure) with
  // the signer zone's keys. The SOA of a negative answer is verified again here with the
  // Secure keys of `keys` (once per zone and SOA TTL). Insecure, Bogus, Indeterminate (CD)
  // verdicts teach nothing. NSEC3 records with more than max_nsec3_iterations are not kept.
  void learn(const Verdict& verdict, const ValidationTrace& evidence, const Message& answer,
             const KeyCache& keys, int64_t now);

  // An answer to `question` proven by records held (RFC 8198 §5): NXDOMAIN (qname and the
  // wildcard at its closest encloser covered), NODATA (qname or the wildcard matched without
  // the type or CNAME; needs the zone's SOA), or the wildcard RRset of the type expanded to
  // qname with the NSEC/NSEC3 covering qname (next closer name). nullopt when the records
  // held prove nothing, when the proof rests on an NSEC3 Opt-Out span (RFC 8198 §4,
  // RFC 5155 §6), and for DS, ANY, RRSIG, NSEC, NSEC3 and meta types. Synthesis::detail is
  // empty unless `wording` is Full (the words cost more than the proof; only logs use them).
  // The reply is written straight for `query` (its ID, case, DO, AD as `ad` says), fitted to
  // `limit`: no upstream-style message is built and parsed on the way.
  std::optional<Synthesis> answer(const ClientQuery& query, AdBit ad, size_t limit, int64_t now,
                                  Wording wording = Wording::Failures);
  // The same, as an upstream-style message for `question` (tests and tools validate it).
  std::optional<Synthesis> synthesise(const Question& question, int64_t now,
                                      Wording wording = Wording::Full);

  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  size_t entries() const {
    std::lock_guard lock(mu_);
    return lru_.size();
  }
  size_t zones() const {
    std::lock_guard lock(mu_);
    return zones_.size();
  }
  void clear();
  // Drops the records of zones at or below `zone`; returns how many.
  size_t clear_below(const Name& zone);

 private:
  enum class Kind : uint8_t { Nsec, Nsec3, Wildcard, Soa };
  struct Zone;
  struct Entry {
    Zone* zone = nullptr;  // zones_ values keep their address (node-based map)
    Kind kind = Kind::Nsec;
    std::string key;  // Nsec3: lowercased hash label; Wildcard: "<name>/<type>"
    Name owner;
    RRType type = RRType::A;
    uint32_t ttl = 0;       // min(record TTL, RRSIG original TTL, max_ttl) when stored
    int64_t ttl_until = 0;  // stored + ttl
    int64_t sig_until = 0;  // the RRSIGs' earliest expiration
    std::vector<std::vector<uint8_t>> rdatas;
    std::vector<std::vector<uint8_t>> rrsigs;  // only those that verified (signer, key tag)
    uint32_t soa_minimum = 0;
    size_t cost = 0;
  };
  using Lru = std::list<Entry>;
  using It = Lru::iterator;
  struct CanonicalLess {
    bool operator()(const Name& a, const Name& b) const { return canonical_compare(a, b) < 0; }
  };
  struct Zone {
    Name apex;
    std::map<Name, It, CanonicalLess> nsecs;
    std::map<std::string, It> nsec3s;  // base32hex keeps the hash order
    std::unordered_map<std::string, It> wildcards;
    std::optional<It> soa;
    std::vector<uint8_t> salt;  // the NSEC3 parameters all of nsec3s share
    uint16_t iterations = 0;
    bool empty() const { return nsecs.empty() && nsec3s.empty() && wildcards.empty() && !soa; }
  };

  void learn_rrset(const CheckedRrset& r, int64_t now);
  void learn_soa(const Name& zone, const Message& answer, const KeyCache& keys, int64_t now);
  void insert(const Name& zone, Entry e);
  // Removes an entry; its zone stays (possibly empty) until drop_if_empty().
  void erase(It it);
  void drop_if_empty(const Name& zone);
  // The entry, or nothing when it has expired (then it is dropped).
  std::optional<It> fresh(It it, int64_t now);
  // What a synthesis is built for: the client's query, AD, the client's size limit.
  struct Target {
    const ClientQuery& query;
    AdBit ad;
    size_t limit;
    Wording wording;
  };
  std::optional<Synthesis> from_nsec(Zone& z, const Target& t, int64_t now);
  std::optional<Synthesis> from_nsec3(Zone& z, const Target& t, int64_t now);
  // The zone's SOA for a negative answer (RFC 2308 §3), if held and fresh.
  std::optional<It> soa(Zone& z, int64_t now);
  // The NSEC whose owner is `name`, or else the one before it in canonical order.
  std::optional<It> nsec_at_or_before(Zone& z, const Name& name, int64_t now);
  std::optional<It> nsec3_at_or_before(Zone& z, const std::string& hash_label, int64_t now);
  std::optional<It> wildcard(Zone& z, const Name& closest_encloser, RRType type, int64_t now);
  // The reply: the wildcard RRset expanded to qname (if any) in the answer section; the SOA
  // (if any) and the NSEC/NSEC3 RRsets of the proof in the authority section, with RRSIGs.
  Synthesis build(const Target& t, const Zone& z, const DenialResult& proof,
                  const std::optional<It>& wildcard_rrset, const std::optional<It>& soa,
                  const std::vector<It>& authority, int64_t now);
  void touch(It it) { lru_.splice(lru_.begin(), lru_, it); }

  mutable CacheMutex mu_;  // every event loop shares one cache (proxy/workers.h)
  AggressiveCacheLimits limits_;
  Lru lru_;  // most recently used first
  std::unordered_map<Name, Zone, NameHash> zones_;
  size_t bytes_ = 0;
};

}  // namespace dnsp::resolver
