// TrustAnchorState: RFC 5011 automated updates of one zone's trust anchors (the root, in
// practice): which of its KSKs are trusted, pending, missing, revoked or removed, moved by
// the DNSKEY RRsets the proxy fetches (RFC 5011 §2.3 active refresh, §2.4 timers, §4 state
// table). Pure: time is a parameter. Also the state file's text form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/wire/name.h"
#include "resolver/wire/result.h"
#include "resolver/wire/rrset.h"

namespace dnsp::resolver {

struct Budget;  // resolver/verify/limits.h
struct Limits;

// RFC 5011 §4. A key in "Start" is simply not tracked.
enum class KeyState : uint8_t {
  AddPend,  // seen in a validated DNSKEY RRset; trusted once the add hold-down has passed
  Valid,    // a trust anchor
  Missing,  // a trust anchor absent from the last validated RRset; still trusted
  Revoked,  // published with the REVOKE bit and self-signed: never trusted again
  Removed,  // revoked for longer than the remove hold-down; kept so it is never re-added
};
std::string_view to_string(KeyState state);

struct TrackedKey {
  std::vector<uint8_t> dnskey;  // DNSKEY RDATA as last seen (REVOKE bit set once revoked)
  KeyState state = KeyState::AddPend;
  int64_t since = 0;  // unix time it entered `state`; for AddPend, when the hold-down began
  uint16_t key_tag() const;
};

// RFC 5011 §2.4.1-2.4.2 and §2.3 (seconds).
struct AnchorTimers {
  int64_t add_hold_down = 30 * 86400;     // AddPend -> Valid
  int64_t remove_hold_down = 30 * 86400;  // Revoked -> Removed
  int64_t min_refresh = 3600;             // queryInterval and retryTime lower bound
  int64_t max_refresh = 15 * 86400;       // queryInterval upper bound
  int64_t max_retry = 86400;              // retryTime upper bound
};

struct RefreshResult {
  // True when the RRset was signed by a trusted key and the key states were updated; false
  // when it was not (only self-signed revocations of trusted keys were applied, RFC 5011
  // §2.1), `why` says why.
  bool validated = false;
  std::string why;
  std::vector<std::string> changes;  // "key 20326 (alg 8): Valid -> Missing", for the log
  bool anchors_changed = false;      // active() differs from before: give it to the validator
  int64_t next_refresh = 0;          // RFC 5011 §2.3: when to fetch the DNSKEY RRset again
};

class TrustAnchorState {
 public:
  // Starts from the configured anchor of one zone: its DNSKEYs are Valid at once, its DS
  // records are "seeds" that make the DNSKEY they match Valid when first seen (the operator
  // trusted them already: no hold-down).
  static TrustAnchorState seeded(const TrustAnchor& anchor, int64_t now);
  // The state file's text (to_text()). Errors are "<source_name>:<line>: ...".
  static Result<TrustAnchorState, std::string> parse(std::string_view text,
                                                     std::string_view source_name);
  // One line per seed and per key: "ZONE STATE SINCE RECORD", e.g.
  //   . VALID 2026-11-25T16:44:13Z DNSKEY 257 3 8 AwEAA... ; key tag 20326
  //   . SEED - DS 38696 8 2 683D... ; not yet seen
  // and, once an RRset was accepted, the latest RRSIG inception over it:
  //   . INCEPTION 2026-11-20T00:00:00Z ; ...
  std::string to_text() const;

  // Applies the DNSKEY RRset of zone() fetched at `now` (with its RRSIGs; `dnskeys` null when
  // the zone sent none). RFC 5011 §2: the RRset counts only when signed by a trusted key
  // (Valid, Missing, or matching a seed); a revocation counts when the revoked key signed it.
  // An RRset whose newest trusted RRSIG has an inception earlier than that of the last RRset
  // accepted is an old one replayed (its signatures may still be valid): it moves no state
  // (validated = false). The same inception again is the same RRset fetched again.
  RefreshResult observe(const RRset* dnskeys, int64_t now, const AnchorTimers& timers = {});
  // RFC 5011 §2.3 retryTime after a fetch that got no reply at all.
  int64_t retry_time(int64_t now, const AnchorTimers& timers = {}) const;

  // What the validator trusts now: the seeds not yet matched and the DNSKEYs in Valid or
  // Missing state. Empty lists when every key was revoked (the trust point is lost).
  TrustAnchor active() const;
  bool has_active() const;

  const Name& zone() const { return zone_; }
  const std::vector<TrackedKey>& keys() const { return keys_; }
  const std::vector<std::vector<uint8_t>>& ds_seeds() const { return ds_seeds_; }

 private:
  // The steps of observe(), in order (each appends what it changed to `r.changes`).
  void apply_revocations(const RRset& dnskeys, int64_t now, Budget& budget, const Limits& limits,
                         RefreshResult& r);
  void promote_seeds(const std::vector<std::vector<uint8_t>>& present, int64_t now,
                     RefreshResult& r);
  void advance_states(const std::vector<std::vector<uint8_t>>& present, int64_t now, int64_t hold,
                      const AnchorTimers& timers, RefreshResult& r);

  Name zone_;
  std::vector<std::vector<uint8_t>> ds_seeds_;  // DS RDATA
  std::vector<TrackedKey> keys_;
  uint32_t last_ttl_ = 0;  // original TTL of the last validated RRset (RFC 5011 §2.3)
  // The latest RRSIG inception (unix time) by a trusted key over the last RRset accepted;
  // 0 before the first. Kept in the state file: an older RRset replayed is ignored.
  int64_t last_inception_ = 0;
};

// The anchors to validate with: `configured`, with the state's zone anchored by the keys
// the state trusts now. When every key of the state is revoked (the trust point is lost)
// the configured anchor stays: the daemon (proxy/anchor_updater.h) and explain agree.
TrustAnchors anchors_with_state(const TrustAnchors& configured, const TrustAnchorState& state);

}  // namespace dnsp::resolver
