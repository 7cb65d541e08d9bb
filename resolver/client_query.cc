#include "resolver/client_query.h"

#include <algorithm>

namespace dnsp::resolver {
namespace {

void take_edns(const Message& m, ClientQuery& q) {
  if (!m.edns()) return;
  q.has_edns = true;
  q.udp_payload = std::max<uint16_t>(512, m.edns()->udp_payload);
  q.dnssec_ok = m.edns()->dnssec_ok();
}

}  // namespace

QueryCheck check_query(std::span<const uint8_t> packet) {
  // Fewer octets than a header, or a response (QR set): nothing to answer (replying to a
  // response could start a loop between two servers).
  if (packet.size() < kHeaderSize || (packet[2] & 0x80) != 0) return DropQuery{};

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
