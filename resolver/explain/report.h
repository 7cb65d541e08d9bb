// The explain report: the data model every renderer reads (render.h), and building it from a
// Validation's evidence (validation_trace.h) and verdict: the chain of trust from the anchor
// down (DS at the parent, DNSKEYs, which DS matches which key, which key signs the DNSKEY
// RRset), the answer RRsets with their RRSIGs, the NSEC/NSEC3 proofs used (RFC 4035 §5,
// RFC 5155 §8), the EDE the daemon would attach (RFC 8914) and the cause (causes.h).
// Pure: time comes in as a parameter, nothing is printed here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/validate/validation_trace.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/ede.h"
#include "resolver/wire/message.h"

namespace dnsp::resolver {

// Split DNS: the [[forward]] zone holding the question, and its policy.
enum class ForwardPolicy : uint8_t { Validate, Insecure };
struct ExplainForward {
  Name zone;
  ForwardPolicy policy = ForwardPolicy::Validate;
};
// "forward zone corp.example. (dnssec = \"insecure\")": how the report names it.
std::string forward_words(const ExplainForward& f);

// What the running proxy's probes (proxy/upstream/probe.h) last found of one upstream
// server: only the daemon has them (explain --server, the /explain page).
struct UpstreamProbeView {
  std::string server;    // as the daemon names it: "127.0.0.1:5300", "tls://..."
  std::string state;     // "ok", "strips-dnssec", "drops-cd", "no-tcp", "unreachable"
  std::string evidence;  // "answered . DNSKEY over UDP without its RRSIG"
};

struct ExplainInput {
  Question question;
  int64_t now = 0;                            // the wall clock the validation ran with
  std::string upstreams;                      // "127.0.0.1:5300, [::1]:53" as the daemon names them
  const Message* answer = nullptr;            // the upstream's answer, null when none came
  const ValidationTrace* evidence = nullptr;  // null when validation never started
  std::optional<Verdict> verdict;             // Finished's verdict; nullopt when it did not finish
  FetchFailure failure = FetchFailure::None;  // set when verdict is nullopt
  std::string failure_detail;     // the transport's words for it ("tls://...: SPKI pin mismatch")
  std::string failed_query;       // "DS test." / "www.example. A": what went unanswered
  uint32_t query_timeout_ms = 0;  // for the Deadline message
  uint16_t nsec3_iteration_limit = 150;  // Limits::max_nsec3_iterations of the run
  std::string dig_server = "@SERVER";    // dig's server arguments for the first upstream
  // RFC 7646: the negative trust anchor covering the question, when one does. The report's
  // verdict is then insecure (as the daemon's), and `verdict` is what validation says without
  // it (nullopt when validation could not finish: the answer came, the proof did not).
  std::optional<Name> negative_anchor;
  // Why negative_anchor is not validated, in the daemon's words (proxy/split_dns.h
  // InsecureWhy): "the insecure forward zone" / "([[forward]] dnssec = \"insecure\")", "the
  // private zone" / "([dnssec] private_zones)"; empty: a negative trust anchor.
  std::string insecure_what;
  std::string insecure_setting;
  // The [[forward]] zone holding the question, when one does (the question then went to its
  // servers, `upstreams`, and the zone's DS to the parent's).
  std::optional<ExplainForward> forward;
  // The probes' verdicts on the servers the question went to (empty: none known).
  std::vector<UpstreamProbeView> probes;
};

// What checking one RRset's RRSIGs gave (Indeterminate: not checked, or no RRset).
struct CheckView {
  Security security = Security::Indeterminate;
  Reason reason = Reason::None;
  std::string detail;
};

enum class RrsigWindow : uint8_t { Valid, Expired, NotYetValid };

struct RrsigView {
  RRType covered = RRType::A;
  uint8_t algorithm = 0;
  uint16_t key_tag = 0;
  Name signer;
  int64_t inception = 0;   // unix time (RFC 4034 §3.1.5 serial arithmetic around `now`)
  int64_t expiration = 0;  // unix time
  RrsigWindow window = RrsigWindow::Valid;
  bool verified = false;  // the RRSIG the validator accepted
};

struct DsView {
  uint16_t key_tag = 0;
  uint8_t algorithm = 0;
  uint8_t digest_type = 0;
  bool usable = false;                  // supported algorithm and digest, not shadowed by SHA-256
  std::optional<uint16_t> matches_key;  // the DNSKEY whose digest it is
  std::string note;                     // why it is not usable ("" when usable)
};

struct KeyView {
  uint16_t key_tag = 0;
  uint16_t flags = 0;
  uint8_t algorithm = 0;
  unsigned bits = 0;  // crypto::PublicKey::bits(); 0 when the key cannot be decoded here
  bool revoked = false;
  bool trusted = false;           // a DS (or the anchor) names it
  bool signs_dnskey = false;      // its RRSIG over the DNSKEY RRset verified
  std::string_view role() const;  // "KSK" (SEP bit), "ZSK", or "not a zone key"
};

struct RrsetView {
  Name owner;
  RRType type = RRType::A;
  uint32_t ttl = 0;
  std::vector<std::string> records;  // RDATA in presentation form where known, else RFC 3597
  Name zone;
  Security security = Security::Indeterminate;  // Indeterminate: not checked
  Reason reason = Reason::None;
  std::string detail;
  std::vector<RrsigView> rrsigs;
};

struct ProofRecordView {
  RRType type = RRType::NSEC;  // NSEC or NSEC3
  Name owner;
  std::string next;  // NSEC: next owner name; NSEC3: next hashed owner (base32hex)
  std::vector<std::string> types;
  bool opt_out = false;
  uint16_t iterations = 0;
  std::string salt;  // hex, "-" when empty
  CheckView check;   // its RRSIGs, with the zone's keys
  std::vector<RrsigView> rrsigs;
};

struct DenialView {
  DenialPurpose purpose = DenialPurpose::NegativeAnswer;
  Name qname;
  RRType qtype = RRType::A;
  Name zone;
  DenialKind kind = DenialKind::NotProven;
  std::string detail;
  std::vector<ProofRecordView> records;
};

struct ZoneView {
  Name zone;
  Security security = Security::Indeterminate;
  Reason reason = Reason::None;
  std::string detail;
  DsSource ds_source = DsSource::None;
  std::optional<Name> parent;  // the zone holding its DS (or proving there is none)
  std::vector<DsView> ds;
  CheckView ds_check;  // the parent's RRSIGs over the DS RRset
  std::vector<RrsigView> ds_rrsigs;
  bool dnskeys_seen = false;  // a DNSKEY RRset came back
  std::vector<KeyView> keys;
  CheckView dnskey_check;  // the RRSIGs over the DNSKEY RRset, with the keys the DS names
  std::vector<RrsigView> dnskey_rrsigs;
  std::optional<DenialView> no_ds;
};

struct Report {
  Question question;
  int64_t now = 0;
  std::string upstreams;
  uint16_t nsec3_iteration_limit = 150;
  std::optional<RCode> rcode;   // of the upstream's answer
  std::vector<ZoneView> zones;  // from the trust anchor down
  std::vector<RrsetView> answer;
  std::vector<DenialView> denials;
  Verdict verdict;
  // Under a negative trust anchor: what validation says without it (nullopt: not finished).
  std::optional<Verdict> without_negative_anchor;
  std::optional<ExplainForward> forward;  // the [[forward]] zone holding the question
  std::vector<UpstreamProbeView> probes;  // ExplainInput::probes
  FetchFailure failure = FetchFailure::None;
  std::optional<ExtendedError> ede;  // what the daemon would attach
  std::string cause;                 // "" when secure
  std::string next_step;             // "" when secure
  int exit_code = 3;
};

// Exit status of the explain command: 0 secure, 1 insecure, 2 bogus, 3 could not resolve.
inline constexpr int kExplainSecure = 0;
inline constexpr int kExplainInsecure = 1;
inline constexpr int kExplainBogus = 2;
inline constexpr int kExplainUnresolved = 3;

Report build_report(const ExplainInput& in);

// The EDE the daemon attaches to a reply with this verdict (proxy/pipeline/answers_leave.cc): bogus
// ones, and insecure ones that are insecure only because this validator cannot check them.
std::optional<ExtendedError> daemon_ede(const Verdict& v, std::string_view upstreams);

// Lookups in a built report, for the causes and the renderers.
// The view of `zone`, or nullptr when the trace has none.
const ZoneView* find_zone_view(const Report& r, const Name& zone);
// The RRset whose signatures failed for `reason`: a zone's DNSKEY or DS RRset, an answer
// RRset or an NSEC/NSEC3 RRset (the first in that order), with the RRSIGs over it.
struct Failing {
  Name owner;
  RRType type = RRType::A;
  Name zone;
  const std::vector<RrsigView>* rrsigs = nullptr;
};
std::optional<Failing> find_failing(const Report& r, Reason reason);

// Where the zone's DS came from, for every rendering: "trust anchor", "DS at example.",
// "from the key cache", "no DS at example.".
std::string ds_source_words(const ZoneView& z);

}  // namespace dnsp::resolver
