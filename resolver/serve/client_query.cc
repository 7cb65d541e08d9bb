#include "resolver/serve/client_query.h"

#include <algorithm>
#include <optional>

#include "resolver/wire/wire_reader.h"

namespace dnsp::resolver {
namespace {

void take_edns(const Message& m, ClientQuery& q) {
  if (!m.edns()) return;
  q.has_edns = true;
  q.udp_payload = std::max<uint16_t>(512, m.edns()->udp_payload);
  q.dnssec_ok = m.edns()->dnssec_ok();
  for (const auto& opt : m.edns_options()) {
    if (opt.code == kEdnsOptionExplain) q.explain = parse_explain_request(opt.data);
  }
}

// The shape nearly every query has: QUERY, one question of class IN and an ordinary type,
// nothing but an optional OPT (version 0) after it. Read without building a Message, so
// the cache-hit path allocates nothing (STYLE §2). Anything else takes the full path.
std::optional<ClientQuery> common_query(std::span<const uint8_t> packet) {
  const uint8_t* h = packet.data();
  const uint16_t flags = load_u16(h + 2);
  if (((flags >> 11) & 0xF) != 0 || load_u16(h + 4) != 1 || load_u16(h + 6) != 0 ||
      load_u16(h + 8) != 0 || load_u16(h + 10) > 1) {
    return std::nullopt;
  }
  WireReader r(packet, kHeaderSize);
  auto name = r.name();
  auto type = r.u16();
  auto klass = r.u16();
  if (!name || !type || !klass || *klass != to_u16(RRClass::IN)) return std::nullopt;
  const auto qtype = static_cast<RRType>(*type);
  if (is_meta_type(qtype) && qtype != RRType::ANY) return std::nullopt;
  ClientQuery q;
  q.id = load_u16(h);
  q.flags = flags;
  q.question = Question{*name, qtype, RRClass::IN};
  if (load_u16(h + 10) == 1) {
    auto owner = r.u8();
    auto opt_type = r.u16();
    auto payload = r.u16();
    auto ttl = r.u32();
    auto rdlength = r.u16();
    // Each read is checked: after a failed one a shorter later one may still succeed.
    if (!owner || !opt_type || !payload || !ttl || !rdlength || *owner != 0 ||
        *opt_type != to_u16(RRType::OPT)) {
      return std::nullopt;
    }
    const size_t end = r.pos() + *rdlength;
    if (end != packet.size() || ((*ttl >> 16) & 0xFF) != 0) return std::nullopt;
    // The options must be well-formed {code, length, data} triples.
    WireReader opts(packet, r.pos(), end);
    while (!opts.at_end()) {
      auto code = opts.u16();
      auto len = opts.u16();
      if (!len) return std::nullopt;
      auto data = opts.bytes(*len);
      if (!data) return std::nullopt;
      if (*code == kEdnsOptionExplain) q.explain = parse_explain_request(*data);
    }
    q.has_edns = true;
    q.udp_payload = std::max<uint16_t>(512, *payload);
    q.dnssec_ok = (*ttl & kEdnsDo) != 0;
    return q;
  }
  if (!r.at_end()) return std::nullopt;
  return q;
}

}  // namespace

QueryCheck check_query(std::span<const uint8_t> packet) {
  // Fewer octets than a header, or a response (QR set): nothing to answer (replying to a
  // response could start a loop between two servers).
  if (packet.size() < kHeaderSize || (packet[2] & 0x80) != 0) return DropQuery{};
  if (auto q = common_query(packet)) return *q;

  auto full = Message::parse(packet);
  if (!full) {
    // Malformed: FORMERR, echoing the question when at least that part parsed.
    RejectQuery reject;
    auto head = Message::parse_question(packet);
    if (!head) return DropQuery{};  // the header parsed but nothing after: undecodable
    reject.query.id = head->id();
    reject.query.flags = head->flags();
    if (head->questions().size() == 1) {
      reject.query.question = head->questions()[0];
      reject.has_question = true;
    }
    reject.rcode = RCode::FormErr;
    return reject;
  }
  const Message& m = *full;
  ClientQuery q;
  q.id = m.id();
  q.flags = m.flags();
  take_edns(m, q);
  const bool one_question = m.questions().size() == 1;
  if (one_question) q.question = m.questions()[0];
  auto reject = [&](RCode rcode) { return RejectQuery{q, one_question, rcode}; };
  // RFC 1035 §4.1.1: an opcode we do not implement is NOTIMP.
  if (m.opcode() != Opcode::Query) return reject(RCode::NotImp);
  // RFC 6891 §6.1.3: a version we do not implement is BADVERS (we reply with version 0).
  if (m.edns() && m.edns()->version > 0) return reject(RCode::BadVers);
  // RFC 9619: QDCOUNT must be 1 for QUERY.
  if (!one_question) return reject(RCode::FormErr);
  const RRType qtype = q.question.type;
  // A meta-type other than the query-only ones we forward is malformed as a question.
  if (qtype == RRType::OPT) return reject(RCode::FormErr);
  // Zone transfers and the obsolete mailbox queries are not a stub proxy's business.
  if (qtype == RRType::AXFR || qtype == RRType::IXFR) return reject(RCode::Refused);
  if (qtype == RRType::MAILA || qtype == RRType::MAILB) return reject(RCode::NotImp);
  // We validate the Internet class only (the trust anchors are for IN).
  if (q.question.klass != RRClass::IN) return reject(RCode::Refused);
  return q;
}

}  // namespace dnsp::resolver
