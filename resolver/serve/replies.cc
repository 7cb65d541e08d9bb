#include "resolver/serve/replies.h"

#include <algorithm>
#include <optional>

#include "resolver/wire/message_builder.h"
#include "resolver/wire/rdata.h"

namespace dnsp::resolver {
namespace {

constexpr size_t kOptFixedSize = 11;  // root owner, type, class, TTL, RDLENGTH

size_t opt_size(const ExtendedError* ede) {
  return kOptFixedSize + (ede != nullptr ? 4 + 2 + ede->text.size() : 0);
}

uint16_t reply_flags(const ClientQuery& q, RCode rcode, AdBit ad, uint16_t extra) {
  // RFC 1035 §4.1.1: QR, the client's opcode and RD; RA because we recurse for it.
  // RFC 4035 §3.2.2: CD is copied from the query.
  uint16_t f = flag::kQR | flag::kRA | (q.flags & (0x7800 | flag::kRD | flag::kCD));
  if (ad == AdBit::Set) f |= flag::kAD;
  f |= static_cast<uint16_t>(static_cast<uint16_t>(rcode) & 0xF);
  return f | extra;
}

void finish_opt(MessageBuilder& b, const ClientQuery& q, RCode rcode, const ExtendedError* ede,
                size_t limit) {
  if (!q.has_edns) return;
  b.set_max_size(limit);
  EdnsOut opt;
  opt.udp_payload = kOurUdpPayload;
  opt.extended_rcode = static_cast<uint8_t>(static_cast<uint16_t>(rcode) >> 4);
  opt.flags = q.dnssec_ok ? kEdnsDo : 0;  // RFC 3225 §3: DO is echoed
  opt.ede = ede;
  (void)b.add_opt(opt);
}

// RFC 4035 §3.2.1: without DO, DNSSEC records are left out unless asked for by type.
bool strip_for_client(const ClientQuery& q, RRType type) {
  if (q.dnssec_ok || type == q.question.type) return false;
  return type == RRType::RRSIG || type == RRType::NSEC || type == RRType::NSEC3;
}

// The names the answer section may speak about: the question name and every name the
// upstream's CNAME and DNAME records lead to from it (RFC 1034 §3.6.2, RFC 6672 §3),
// followed one link at a time from the question: at most kMaxChainNames names, each found
// in one pass over the records, so a reply of crafted CNAMEs costs O(records), never more
// (this runs on cache refits under the cache's mutex).
constexpr size_t kMaxChainNames = 32;

std::vector<Name> answer_chain(const Message& upstream, const Name& qname) {
  std::vector<Name> chain{qname};
  std::vector<uint8_t> rdata;
  while (chain.size() < kMaxChainNames) {
    const Name& current = chain.back();
    std::optional<Name> next;
    for (const auto& rr : upstream.records()) {
      if (rr.section != Section::Answer) continue;
      const bool cname = rr.type == RRType::CNAME && rr.owner == current;
      const bool dname =
          rr.type == RRType::DNAME && current.is_subdomain_of(rr.owner) && !(current == rr.owner);
      if (!cname && !dname) continue;
      rdata.clear();
      if (!expand_rdata(upstream, rr, rdata)) continue;
      auto target = parse_single_name(rdata);
      if (!target) continue;
      if (cname) {
        next = *target;
        break;
      }
      // RFC 6672 §2.2: the owner suffix is replaced by the target.
      if (auto n = current.substitute_suffix(rr.owner, *target)) {
        next = *n;
        break;
      }
    }
    if (!next || std::find(chain.begin(), chain.end(), *next) != chain.end()) break;
    chain.push_back(*next);
  }
  return chain;
}

// An answer-section record belongs in the reply when it is at a name of the chain, or is a
// DNAME above one. Anything else (records for other names, outside the zone of the
// question) is dropped: nothing vouches for it, and AD must not appear to cover it.
bool on_chain(const RecordView& rr, const std::vector<Name>& chain) {
  for (const Name& n : chain) {
    if (rr.owner == n) return true;
    if ((rr.type == RRType::DNAME || rr.type == RRType::RRSIG) && n.is_subdomain_of(rr.owner))
      return true;
  }
  return false;
}

// The reply frame both forward_reply() and records_reply() fill: header, the client's
// question, the records `add` writes (it returns false when one that must be there did not
// fit), then the OPT. A reply that does not fit is cut to its question with TC set.
// `extra`: header flags beyond the usual (AA for local data).
template <class AddRecords>
std::vector<uint8_t> fitted_reply(const ClientQuery& q, RCode rcode, AdBit ad, size_t limit,
                                  const ExtendedError* ede, const AddRecords& add,
                                  uint16_t extra = 0) {
  if (static_cast<uint16_t>(rcode) > 15 && !q.has_edns) rcode = RCode::ServFail;
  const size_t reserve = q.has_edns ? opt_size(ede) : 0;
  const size_t body_limit = limit > reserve ? limit - reserve : 0;

  MessageBuilder b(body_limit);
  b.set_header(q.id, reply_flags(q, rcode, ad, extra));
  const bool truncated =
      b.add_question(q.question.name, q.question.type, q.question.klass) == Fit::DidNotFit ||
      !add(b);
  if (truncated) {
    // RFC 7766 §5: the client retries over TCP; a partial answer would only mislead.
    MessageBuilder t(body_limit);
    t.set_header(q.id, reply_flags(q, rcode, ad, flag::kTC | extra));
    (void)t.add_question(q.question.name, q.question.type, q.question.klass);
    finish_opt(t, q, rcode, ede, limit);
    return t.finish();
  }
  finish_opt(b, q, rcode, ede, limit);
  return b.finish();
}

}  // namespace

size_t reply_limit(const ClientQuery& q, Transport transport) {
  if (transport == Transport::Tcp) return 65535;
  if (!q.has_edns) return 512;  // RFC 1035 §4.2.1
  // RFC 6891 §6.2.5: never more than we are prepared to send either.
  return std::min<size_t>(q.udp_payload, 4096);
}

std::vector<uint8_t> error_reply(const ClientQuery& q, EchoQuestion echo, RCode rcode,
                                 const ExtendedError* ede) {
  // Without EDNS the rcode cannot exceed 4 bits: BADVERS only exists with an OPT.
  MessageBuilder b(65535);
  b.set_header(q.id, reply_flags(q, rcode, AdBit::Clear, 0));
  if (echo == EchoQuestion::Yes)
    (void)b.add_question(q.question.name, q.question.type, q.question.klass);
  finish_opt(b, q, rcode, ede, 65535);
  return b.finish();
}

std::vector<uint8_t> forward_reply(const ClientQuery& q, const Message& upstream, AdBit ad,
                                   size_t limit, const ExtendedError* ede) {
  return fitted_reply(q, upstream.rcode(), ad, limit, ede, [&](MessageBuilder& b) {
    const std::vector<Name> chain = answer_chain(upstream, q.question.name);
    for (const auto& rr : upstream.records()) {
      if (strip_for_client(q, rr.type)) continue;
      if (rr.section == Section::Answer && !on_chain(rr, chain)) continue;
      if (rr.section == Section::Additional) {
        // RFC 2181 §9: leaving out additional data does not set TC.
        if (b.add_record_from(rr.section, upstream, rr, rr.ttl) == Fit::DidNotFit) break;
        continue;
      }
      if (b.add_record_from(rr.section, upstream, rr, rr.ttl) == Fit::DidNotFit) return false;
    }
    return true;
  });
}

std::vector<uint8_t> secure_reply(const ClientQuery& q, const Message& upstream,
                                  std::span<const ProvenRrset> proven, AdBit ad, size_t limit,
                                  const ExtendedError* ede) {
  return fitted_reply(q, upstream.rcode(), ad, limit, ede, [&](MessageBuilder& b) {
    for (const auto& rr : upstream.records()) {
      if (strip_for_client(q, rr.type)) continue;
      // The rule (proven.h): nothing this validation did not prove goes out. Unsigned
      // authority and additional data (NS, glue) are dropped, as Unbound's
      // val-clean-additional does; the client's OPT is ours (fitted_reply).
      const ProvenRrset* p = vouched_for(proven, upstream, rr);
      if (p == nullptr) continue;
      if (b.add_record_from(rr.section, upstream, rr, std::min(rr.ttl, p->max_ttl)) ==
          Fit::DidNotFit) {
        return false;
      }
    }
    return true;
  });
}

namespace {
bool add_reply_records(MessageBuilder& b, const ClientQuery& q,
                       std::span<const ReplyRecord> records) {
  for (const ReplyRecord& rr : records) {
    if (strip_for_client(q, rr.type)) continue;
    if (b.add_record(rr.section, *rr.owner, rr.type, RRClass::IN, rr.ttl, rr.rdata) ==
        Fit::DidNotFit) {
      return false;
    }
  }
  return true;
}
}  // namespace

std::vector<uint8_t> records_reply(const ClientQuery& q, RCode rcode, AdBit ad, size_t limit,
                                   std::span<const ReplyRecord> records) {
  return fitted_reply(q, rcode, ad, limit, nullptr,
                      [&](MessageBuilder& b) { return add_reply_records(b, q, records); });
}

std::vector<uint8_t> local_reply(const ClientQuery& q, size_t limit,
                                 std::span<const ReplyRecord> records) {
  return fitted_reply(
      q, RCode::NoError, AdBit::Clear, limit, nullptr,
      [&](MessageBuilder& b) { return add_reply_records(b, q, records); }, flag::kAA);
}

std::vector<uint8_t> upstream_query(const Question& question, uint16_t id, bool checking_disabled) {
  MessageBuilder b(512);
  // RD: the upstream is a recursive resolver. CD: we validate, so it must hand us even
  // data it considers bogus (RFC 4035 §3.2.2).
  b.set_header(id, checking_disabled ? flag::kRD | flag::kCD : flag::kRD);
  (void)b.add_question(question.name, question.type, question.klass);
  EdnsOut opt;
  opt.udp_payload = kUpstreamUdpPayload;
  opt.flags = kEdnsDo;
  (void)b.add_opt(opt);
  return b.finish();
}

std::vector<uint8_t> explain_query(const Question& question, uint16_t id, ExplainFormat format) {
  MessageBuilder b(512);
  // No CD: the proxy validates as for any client; the option asks for the trace of it.
  b.set_header(id, flag::kRD);
  (void)b.add_question(question.name, question.type, question.klass);
  const std::vector<uint8_t> payload = explain_request_payload(format);
  const EdnsOption option{kEdnsOptionExplain, payload};
  EdnsOut opt;
  opt.udp_payload = kOurUdpPayload;
  opt.flags = kEdnsDo;
  opt.options = {&option, 1};
  (void)b.add_opt(opt);
  return b.finish();
}

std::vector<uint8_t> explain_reply(const ClientQuery& q, const ExplainReply& reply) {
  constexpr size_t kMaxMessage = 65535;  // RFC 1035 §4.2.2: the TCP length field
  constexpr size_t kOptionHeader = 4;    // OPTION-CODE, OPTION-LENGTH
  MessageBuilder b(kMaxMessage);
  b.set_header(q.id, reply_flags(q, RCode::NoError, AdBit::Clear, 0));
  (void)b.add_question(q.question.name, q.question.type, q.question.klass);
  const size_t room = kMaxMessage - b.size() - kOptFixedSize - kOptionHeader;
  const ExplainFormat format = q.explain ? q.explain->format : ExplainFormat::Text;
  const std::vector<uint8_t> payload = explain_reply_payload(reply, format, room);
  const EdnsOption option{kEdnsOptionExplain, payload};
  EdnsOut opt;
  opt.udp_payload = kOurUdpPayload;
  opt.flags = q.dnssec_ok ? kEdnsDo : 0;
  opt.options = {&option, 1};
  (void)b.add_opt(opt);
  return b.finish();
}

}  // namespace dnsp::resolver
