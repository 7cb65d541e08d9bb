// KeyCache: what the validator learned about zones' keys (RFC 4035 §5.2): Secure with the
// validated DNSKEYs (public keys decoded once), Insecure (the chain of trust provably ends
// above), or Bogus (briefly, RFC 9520). Entries expire; resolver/ never reads the clock.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "crypto/public_key.h"
#include "resolver/verify/cache_mutex.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/name.h"

namespace dnsp::resolver {

struct ZoneKey {
  uint16_t key_tag;
  uint8_t algorithm;
  uint16_t flags;
  std::vector<uint8_t> rdata;
  crypto::PublicKey key;
};

struct KeyEntry {
  Name zone;
  Security security = Security::Indeterminate;  // Secure, Insecure or Bogus
  Verdict verdict;                              // why, when not Secure
  std::vector<ZoneKey> keys;  // Secure: every zone key of the validated DNSKEY RRset
  std::vector<std::vector<uint8_t>> ds_rdatas;  // the validated DS RRset (for explain)
  int64_t expires = 0;                          // unix time
};

// Thread-safe: one cache serves every event loop (proxy/workers.h). Each call takes the
// cache's mutex for a hash lookup; entries are immutable and shared, so what a caller got
// stays valid while another thread replaces or evicts it.
class KeyCache {
 public:
  // Bounded in bytes: each entry is charged for its keys, DS records and texts (an
  // estimate of the real allocations, OpenSSL's key objects included).
  explicit KeyCache(size_t max_bytes = 8u << 20) : max_bytes_(max_bytes) {}

  // The entry for exactly `zone`, if present and not expired at `now`.
  std::shared_ptr<const KeyEntry> find(const Name& zone, int64_t now) const;
  // The closest entry at or above `name` that is Insecure: everything below an insecure
  // delegation is insecure (RFC 4035 §4.3).
  std::shared_ptr<const KeyEntry> find_insecure_ancestor(const Name& name, int64_t now) const;
  // The deepest Secure entry at or above `name`.
  std::shared_ptr<const KeyEntry> find_secure_ancestor(const Name& name, int64_t now) const;
  void put(std::shared_ptr<const KeyEntry> entry, int64_t now);
  // Drops the entries of `zones` that are Bogus (before asking again over another transport:
  // only those a verdict rests on, so that random names under one broken zone cannot flush
  // every bogus entry, RFC 9520 §3). A hash lookup per zone, not a scan.
  void forget_bogus(std::span<const Name> zones);
  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }
  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    entries_.clear();
    bytes_ = 0;
  }
  // Drops every Bogus entry (`dnssec-proxy control flush-bogus`); returns how many.
  size_t clear_bogus() {
    std::lock_guard lock(mu_);
    return std::erase_if(entries_, [&](const auto& kv) {
      if (kv.second.entry->security != Security::Bogus) return false;
      bytes_ -= kv.second.cost;
      return true;
    });
  }
  // Drops the entries of zones at or below `zone`; returns how many.
  size_t clear_below(const Name& zone) {
    std::lock_guard lock(mu_);
    return std::erase_if(entries_, [&](const auto& kv) {
      if (!kv.first.is_subdomain_of(zone)) return false;
      bytes_ -= kv.second.cost;
      return true;
    });
  }

 private:
  struct Slot {
    std::shared_ptr<const KeyEntry> entry;
    size_t cost;
  };
  static size_t cost_of(const KeyEntry& e);
  std::shared_ptr<const KeyEntry> find_locked(const Name& zone, int64_t now) const;
  mutable CacheMutex mu_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::unordered_map<Name, Slot, NameHash> entries_;
};

}  // namespace dnsp::resolver
