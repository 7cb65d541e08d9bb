// libFuzzer target: the validator fed arbitrary upstream replies for a fixed question. The
// input's first slice is the answer, each later slice the reply to the validator's next
// NeedRecords (format in validator_input.h), with the "test." trust anchor and a fixed
// clock. Every run must end in a Finished verdict or a request for more, within the
// Limits, without crashing; the reply built from the verdict must build too.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/key_cache.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/wire/message.h"
#include "resolver/wire/message_builder.h"
#include "resolver/wire/rrset.h"
#include "tests/fuzz/validator_input.h"
#include "tests/resolver/test_signer.h"

using namespace dnsp::resolver;
using namespace dnsp::fuzz;

namespace {

const TrustAnchors& anchors() {
  static const TrustAnchors a = [] {
    const test::TestKey ksk(*Name::from_text(kAnchorZone), test::kKskFlags, kAnchorSeed);
    std::string text = std::string(kAnchorZone) + " IN DNSKEY 257 3 15 ";
    // Zone-file base64 of the public key (RFC 8080 §3).
    static constexpr char kB64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto& rd = ksk.dnskey_rdata();
    const std::vector<uint8_t> key(rd.begin() + 4, rd.end());
    for (size_t i = 0; i < key.size(); i += 3) {
      const uint32_t n = uint32_t{key[i]} << 16 |
                         (i + 1 < key.size() ? uint32_t{key[i + 1]} << 8 : 0) |
                         (i + 2 < key.size() ? key[i + 2] : 0);
      text += kB64[(n >> 18) & 63];
      text += kB64[(n >> 12) & 63];
      text += i + 1 < key.size() ? kB64[(n >> 6) & 63] : '=';
      text += i + 2 < key.size() ? kB64[n & 63] : '=';
    }
    text += "\n";
    auto parsed = TrustAnchors::from_text(text, "fuzz-anchor");
    if (!parsed) __builtin_trap();
    return std::move(*parsed);
  }();
  return a;
}

ClientQuery client_query(const FuzzQuestion& fq) {
  MessageBuilder b;
  b.set_header(0x1234, flag::kRD);
  (void)b.add_question(*Name::from_text(fq.name), fq.type, RRClass::IN);
  EdnsOut e;
  e.flags = kEdnsDo;
  (void)b.add_opt(e);
  const auto packet = b.finish();
  return std::get<ClientQuery>(check_query(packet));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const FuzzQuestion& fq = kQuestions[data[0] % kQuestionCount];
  Slices slices({data + 1, size - 1});
  if (slices.empty()) return 0;
  const auto first = slices.next();
  if (!first) return 0;
  const std::vector<uint8_t> answer_packet(first->begin(), first->end());
  auto answer = Message::parse(answer_packet);
  if (!answer) return 0;  // the proxy answers SERVFAIL before validating

  const ClientQuery query = client_query(fq);
  KeyCache keys(64);
  const Limits limits;
  Validation v(anchors(), keys, limits, kNow);
  Step step = v.start(query.question, *answer);
  // Each resume consumes a slice; the validator itself stops after max_fetches.
  uint32_t resumes = 0;
  while (std::holds_alternative<NeedRecords>(step) && !slices.empty()) {
    const auto slice = slices.next();
    step = slice ? v.resume(std::vector<uint8_t>(slice->begin(), slice->end()))
                 : v.resume(std::nullopt);
    if (++resumes > limits.max_fetches + 1) __builtin_trap();  // it must have stopped
  }
  if (const auto* done = std::get_if<Finished>(&step)) {
    (void)ede_text(done->verdict);
    if (done->verdict.security != Security::Secure) {
      (void)forward_reply(query, *answer, AdBit::Clear, reply_limit(query, Transport::Udp),
                          nullptr);
      return 0;
    }
    // The rule (resolver/validate/proven.h), checked on every input: a secure reply holds only
    // records that came signed (or a CNAME under a DNAME of the reply, RFC 6672 §3.1), each
    // vouched for, none with a TTL above its cap. The fuzzer looks for violations.
    const auto reply = secure_reply(query, *answer, done->proven, AdBit::Set, 65535, nullptr);
    auto parsed = Message::parse(reply);
    if (!parsed) __builtin_trap();
    auto grouped = group_rrsets(*answer);
    if (!grouped) __builtin_trap();  // it validated, so it grouped
    for (const auto& rr : parsed->records()) {
      const ProvenRrset* p = vouched_for(done->proven, *parsed, rr);
      if (p == nullptr || rr.ttl > p->max_ttl) __builtin_trap();
      if (rr.type == RRType::RRSIG) continue;
      bool signed_or_synthesised = false;
      for (const auto& set : *grouped) {
        if (set.section != rr.section || set.type != rr.type || !(set.owner == rr.owner)) continue;
        signed_or_synthesised = !set.rrsigs.empty();
      }
      for (const auto& set : *grouped) {
        if (rr.type == RRType::CNAME && set.type == RRType::DNAME &&
            rr.owner.is_subdomain_of(set.owner) && !(rr.owner == set.owner) &&
            !set.rrsigs.empty()) {
          signed_or_synthesised = true;
        }
      }
      if (!signed_or_synthesised) __builtin_trap();
    }
  }
  return 0;
}
