// Validation: one client answer's chain of trust from the closest trust anchor or cached
// key down to every RRset of the answer (RFC 4035 §5), as a state machine without I/O.
// When it lacks a record it returns NeedRecords; the proxy fetches it upstream (DO=1,
// CD=1) and calls resume(). Each run recomputes from the answer, the key cache and the
// records fetched so far (validated keys are cached, so a rerun repeats no key work), and
// every resume adds one fetched record set, so it ends within Limits::max_fetches.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/denial.h"
#include "resolver/validate/proven.h"
#include "resolver/validate/validation_trace.h"
#include "resolver/verify/key_cache.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/message.h"
#include "resolver/wire/rrset.h"

namespace dnsp::resolver {

struct NeedRecords {
  Name name;
  RRType type;
};
struct Finished {
  Verdict verdict;
  int64_t valid_until = 0;  // the earliest RRSIG expiration that the verdict rests on
  // Secure verdicts: every RRset of the answer this validation proved (proven.h), the only
  // records a reply with AD may carry. Empty for other verdicts.
  ProvenRrsets proven = {};
};
using Step = std::variant<NeedRecords, Finished>;

class Validation {
 public:
  Validation(const TrustAnchors& anchors, KeyCache& keys, const Limits& limits, int64_t now);

  // `answer` (and the packet under it) must outlive this object.
  Step start(const Question& question, const Message& answer);
  // The upstream's reply to the last NeedRecords, or nullopt when it could not be fetched.
  Step resume(std::optional<std::vector<uint8_t>> packet);

  // What the validator did, one line per step, for logs.
  const std::vector<std::string>& trace() const { return trace_; }
  // Signature verifications done so far (bounded by Limits::max_signature_checks).
  uint32_t signature_checks() const { return budget_.signature_checks_done; }
  // The zones whose Bogus key entries this validation made or relied on: what a verdict
  // reached through them rests on (KeyCache::forget_bogus before a retry).
  const std::vector<Name>& bogus_key_zones() const { return bogus_key_zones_; }
  // What the verdict rests on, as data (DS, DNSKEY, RRSIGs, proofs), for the explain command.
  const ValidationTrace& evidence() const { return evidence_; }

 private:
  struct Fetched {
    std::vector<uint8_t> packet;
    std::optional<Message> message;
    std::vector<RRset> rrsets;
    bool ok = false;  // false: no usable reply came back
  };
  // A step's value, or the record it still needs.
  template <class T>
  using Eval = std::variant<T, NeedRecords>;
  using Entry = std::shared_ptr<const KeyEntry>;

  Step run();
  Eval<Entry> find_key(const Name& zone, int depth);
  Eval<Entry> find_zone(const Name& name, int depth);
  Eval<Entry> key_from_ds_reply(const Name& zone, const Fetched& f, int depth);
  Eval<Verdict> check_rrset(const RRset& rrset, const std::vector<RRset>& authority);
  Eval<Verdict> check_denial(const Name& name, RRType type, RCode rcode,
                             const std::vector<RRset>& authority);
  // Verifies the NSEC/NSEC3 RRsets among `rrsets` with `zone_keys` and proves the denial.
  // With Vouch::ForReply, the NSEC/NSEC3 RRsets that verified join proven_ (they are the
  // answer's own authority records, not a sub-query's).
  enum class Vouch : uint8_t { ForReply, No };
  DenialResult prove(const std::vector<RRset>& rrsets, const KeyEntry& zone_keys, const Name& qname,
                     RRType qtype, Verdict& failure, Vouch vouch);
  // Records `rrset` of the answer as proven by `check` (a Secure one), TTL capped.
  void vouch(const RRset& rrset, const RrsetCheck& check);

  const Fetched* fetched(const Name& name, RRType type) const;
  // Caches `entry` until `valid_until` (0: unknown) and at most `ttl` seconds (RFC 4035
  // §5.3.3: the TTLs of the DS/DNSKEY or NSEC records it rests on), max_key_ttl; a bogus one
  // bogus_ttl.
  Entry remember(KeyEntry entry, int64_t valid_until, uint32_t ttl = UINT32_MAX);
  Entry temporary(Security security, Reason reason, const Name& zone, std::string detail);
  void note(std::string line);
  // Adds a key entry found in the cache to the evidence, unless this run recorded it.
  void note_cached(const KeyEntry& entry);

  const TrustAnchors& anchors_;
  KeyCache& keys_;
  Limits limits_;
  int64_t now_;
  Budget budget_;
  Question question_;
  const Message* answer_ = nullptr;
  std::vector<RRset> answer_rrsets_;
  std::map<std::pair<std::string, uint16_t>, Fetched> fetched_;
  std::optional<NeedRecords> pending_;
  int64_t valid_until_ = 0;
  std::vector<Name> bogus_key_zones_;
  ProvenRrsets proven_;  // this run's proven answer RRsets (Finished::proven)
  // What the last prove()'s verified records allow a key entry resting on them: the smallest
  // TTL (each at most its RRSIG's Original TTL) and the earliest RRSIG expiration.
  uint32_t last_proof_ttl_ = 0;
  int64_t last_proof_until_ = 0;
  std::vector<std::string> trace_;
  ValidationTrace evidence_;
  DenialTrace last_denial_;  // what the last prove() saw and concluded
};

}  // namespace dnsp::resolver
