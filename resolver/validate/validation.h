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
#include "resolver/validate/clock_skew.h"
#include "resolver/validate/denial.h"
#include "resolver/validate/denial_proofs.h"
#include "resolver/validate/nsec3.h"
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
  // How RRSIG validity windows were treated (Limits::validity_windows): NotChecked when the
  // verdict rests on signatures whose dates were never compared with the clock.
  ValidityWindows validity_windows = ValidityWindows::Checked;
  // Bogus for a validity window at the root: how far off this machine's clock looks
  // (clock_skew.h).
  std::optional<ClockSkew> clock_skew = {};
};
using Step = std::variant<NeedRecords, Finished>;

class Validation {
 public:
  Validation(const TrustAnchors& anchors, KeyCache& keys, const Limits& limits, int64_t now);

  // `answer` (and the packet under it) must outlive this object.
  [[nodiscard]] Step start(const Question& question, const Message& answer);
  // The upstream's reply to the last NeedRecords, or nullopt when it could not be fetched.
  [[nodiscard]] Step resume(std::optional<std::vector<uint8_t>> packet);

  // Keeps trace() from here on: the lines are written only for someone who reads them (tools,
  // debugging), not on every validation.
  void keep_trace_lines() { trace_lines_ = TraceLines::Keep; }
  // What the validator did, one line per step; empty unless keep_trace_lines() was called.
  const std::vector<std::string>& trace() const { return trace_; }
  // Signature verifications done so far (bounded by Limits::max_signature_checks).
  uint32_t signature_checks() const { return budget_.signature_checks_done; }
  // The zones whose Bogus key entries this validation made or relied on: what a verdict
  // reached through them rests on (KeyCache::forget_bogus before a retry).
  const std::vector<Name>& bogus_key_zones() const { return bogus_key_zones_; }
  // What the verdict rests on, as data (DS, DNSKEY, RRSIGs, proofs), for the explain command
  // and the RFC 8198 cache.
  const ValidationTrace& evidence() const { return evidence_; }

 private:
  struct Fetched {
    std::vector<uint8_t> packet;
    std::optional<Message> message;
    std::vector<RRset> rrsets;
    bool ok = false;  // false: no usable reply came back
  };
  // A step's value, or the record it still needs (the proxy fetches it and resume() reruns).
  template <class T>
  using OrNeed = std::variant<T, NeedRecords>;
  using Entry = std::shared_ptr<const KeyEntry>;
  // Whether a proof's NSEC/NSEC3 RRsets that verified join proven_: ForReply for the answer's
  // own authority records, No for a sub-query's.
  enum class Vouch : uint8_t { ForReply, No };
  // What verifying the NSEC/NSEC3 RRsets offered for a proof gave.
  struct DenialEvidence {
    DenialRecords records;              // those that verified, as records
    std::vector<CheckedRrset> checked;  // every one offered, with its check (for the trace)
    std::optional<Verdict> failure;     // the first that did not verify: Bogus
    uint32_t ttl = UINT32_MAX;          // the smallest TTL of those that verified, each at
                                        // most its RRSIG's Original TTL
    int64_t valid_until = 0;            // their earliest RRSIG expiration (0: none)
  };
  // A proof from a reply's NSEC/NSEC3 RRsets: what verifying them gave, what they prove, and
  // its entry for the trace.
  struct Denial {
    DenialEvidence evidence;
    DenialProof proof;
    DenialTrace trace;
  };
  using ProveFn = DenialProof (*)(const DenialRecords&, const Name&, RRType, Nsec3Limits);
  // What find_zone learned at one name below the zone it has keys for (chain_walk.cc).
  struct Probe {
    enum class Then : uint8_t {
      Descend,  // a zone cut: `entry` is the child zone's; walk on below it if Secure
      NoCut,    // a name of the current zone: walk on below it
      Stop,     // `entry` is what find_zone returns
    };
    Then then;
    Entry entry;
  };
  // Where one link of the CNAME/DNAME chain led (cname_chain.cc).
  struct Link {
    enum class End : uint8_t {
      Next,      // on to `next`
      Answered,  // the chain ends here: answer, denial, or a verdict that stops it
      Pending,   // pending_ names the record it needs
      Broken,    // a CNAME whose target does not parse: the chain stops unanswered
    };
    End end;
    Name next;
  };
  enum class TraceLines : uint8_t { Off, Keep };

  // validation.cc: the state machine, its bookkeeping.
  Step run();
  [[nodiscard]] Step finish();
  const Fetched* fetched(const Name& name, RRType type) const;
  // Caches `entry` until `valid_until` (0: unknown) and at most `ttl` seconds (RFC 4035
  // §5.3.3: the TTLs of the DS/DNSKEY or NSEC records it rests on), max_key_ttl; a bogus one
  // bogus_ttl.
  Entry remember(KeyEntry entry, int64_t valid_until, uint32_t ttl = UINT32_MAX);
  // A key entry without keys (Insecure or Bogus: `v.security`) for `zone`, remembered.
  Entry remember_keyless(const Name& zone, Verdict v, int64_t valid_until = 0,
                         uint32_t ttl = UINT32_MAX);
  // A key entry without keys for this validation only, never cached: what a step concludes
  // from this run's limits or replies (a chain too deep, a DS query that got no reply).
  Entry uncached_entry(Security security, Reason reason, const Name& zone, std::string detail);
  // Adds a trace line, formatting it only when the lines are kept.
  template <class Words>
  void note(const Words& words) {
    if (trace_lines_ == TraceLines::Keep) trace_.push_back(words());
  }
  // Adds a key entry found in the cache to the evidence, unless this run recorded it.
  void note_cached(const KeyEntry& entry);
  // Records `rrset` of the answer as proven by `check` (a Secure one), TTL capped.
  void vouch(const RRset& rrset, const RrsetCheck& check);
  // The verdict of one step joins overall_ (the worse wins); returns the step's zone.
  Name join(Verdict v);
  // The reply contradicts its validated records: Bogus, InconsistentAnswer, in `zone`.
  void inconsistent(const Name& zone, std::string detail);
  Nsec3Limits nsec3_limits() const;

  // chain_walk.cc: the keys of a zone, from the trust anchor down (RFC 4035 §5.2).
  [[nodiscard]] OrNeed<Entry> find_key(const Name& zone, int depth);
  [[nodiscard]] OrNeed<Entry> key_from_anchor(const Name& zone, const TrustAnchor& anchor);
  [[nodiscard]] OrNeed<Entry> key_from_ds_reply(const Name& zone, const Fetched& f, int depth);
  [[nodiscard]] OrNeed<Entry> key_from_signed_ds(const Name& zone, const RRset& ds, int depth);
  [[nodiscard]] OrNeed<Entry> key_from_validated_ds(const Name& zone, const RRset& ds,
                                                    const RrsetCheck& ds_check);
  [[nodiscard]] OrNeed<Entry> key_without_ds(const Name& zone, const Fetched& f,
                                             const RRset* unsigned_ds, int depth);
  [[nodiscard]] OrNeed<Entry> unsigned_ds_reply(const Name& zone, const RRset* unsigned_ds,
                                                int depth);
  [[nodiscard]] Entry key_from_no_ds_proof(const Name& zone, const Name& parent_zone,
                                           const Denial& denial);
  [[nodiscard]] OrNeed<Entry> find_zone(const Name& name, int depth);
  [[nodiscard]] OrNeed<Probe> probe_for_cut(const Name& probe, const Name& zone,
                                            const Entry& current, int depth);

  // answer_checks.cc: the answer's RRsets and denials (RFC 4035 §5.3-5.4).
  [[nodiscard]] OrNeed<Verdict> check_rrset(const RRset& rrset,
                                            const std::vector<RRset>& authority);
  [[nodiscard]] Verdict check_wildcard_answer(const RRset& rrset, const Name& signer,
                                              const std::vector<ZoneKey>& keys,
                                              uint8_t rrsig_labels,
                                              const std::vector<RRset>& authority);
  [[nodiscard]] OrNeed<Verdict> check_denial(const Name& name, RRType type, RCode rcode,
                                             const std::vector<RRset>& authority);
  [[nodiscard]] OrNeed<Verdict> unsigned_denial(const Name& name, RRType type, RCode rcode);
  // Verifies the NSEC/NSEC3 RRsets among `rrsets` with the `keys` of `zone`; with
  // Vouch::ForReply, those that verified join proven_.
  [[nodiscard]] DenialEvidence verify_denial(const std::vector<RRset>& rrsets, const Name& zone,
                                             const std::vector<ZoneKey>& keys, Vouch vouch);
  // verify_denial() with `zone_keys`, then `prove` for name/type on the records that
  // verified; the expirations join valid_until_.
  [[nodiscard]] Denial prove_denial(const std::vector<RRset>& authority, const KeyEntry& zone_keys,
                                    const Name& name, RRType type, Vouch vouch,
                                    DenialPurpose purpose, ProveFn prove);
  // Why a proof that proved nothing is Bogus, when something says: its hash budget ran out
  // (TooMuchWork) or an NSEC/NSEC3 RRset did not verify; nullopt otherwise.
  [[nodiscard]] static std::optional<Verdict> denial_failure(const Denial& denial);

  // cname_chain.cc: the answer from the question name through CNAME and DNAME links.
  enum class ChainEnd : uint8_t { Answered, Pending, Unanswered };
  [[nodiscard]] ChainEnd walk_chain(RCode rcode, const std::vector<RRset>& authority);
  [[nodiscard]] Link answer_link(const Name& current, const RRset& exact, const RRset* cname,
                                 RCode rcode, const std::vector<RRset>& authority);
  [[nodiscard]] Link dname_link(const Name& current, const RRset& dname, const RRset* cname,
                                const std::vector<RRset>& authority);
  [[nodiscard]] Link cname_link(const RRset& cname, const std::vector<RRset>& authority);
  [[nodiscard]] Link denial_link(const Name& current, RCode rcode,
                                 const std::vector<RRset>& authority);

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
  // This run's: the earliest RRSIG expiration the verdict rests on, the verdict so far (the
  // worst of its steps), the proven answer RRsets (Finished::proven).
  int64_t valid_until_ = 0;
  Verdict overall_;
  ProvenRrsets proven_;
  std::vector<Name> bogus_key_zones_;
  TraceLines trace_lines_ = TraceLines::Off;
  std::vector<std::string> trace_;
  ValidationTrace evidence_;
};

}  // namespace dnsp::resolver
