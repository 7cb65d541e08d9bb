// libFuzzer target: any octets as a DNS message, the way both sides of the proxy see them.
// Message::parse and parse_question, the client query checks, grouping into RRsets, the
// uncompressed and canonical form of every record, the typed RDATA parsers, the data an
// RRSIG signs and the key tag. Nothing may crash, leak or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/validate/denial.h"
#include "resolver/verify/canonical.h"
#include "resolver/wire/message.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/rrset.h"

using namespace dnsp::resolver;

namespace {

void typed_rdata(RRType type, const Name& owner, std::span<const uint8_t> rdata) {
  switch (type) {
    case RRType::SOA:
      (void)parse_soa(rdata);
      break;
    case RRType::CNAME:
    case RRType::DNAME:
    case RRType::NS:
    case RRType::PTR:
      (void)parse_single_name(rdata);
      break;
    case RRType::DS:
      (void)parse_ds(rdata);
      break;
    case RRType::DNSKEY:
      (void)parse_dnskey(rdata);
      (void)key_tag(rdata);
      (void)ds_digest_input(owner, rdata);
      break;
    case RRType::NSEC:
      (void)parse_nsec(rdata);
      (void)make_nsec_record(owner, rdata);
      break;
    case RRType::NSEC3:
      (void)parse_nsec3(rdata);
      (void)make_nsec3_record(owner, rdata);
      break;
    case RRType::NSEC3PARAM:
      (void)parse_nsec3param(rdata);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> packet(data, size);

  // The client side: what a query turns into, and the replies built from it.
  auto check = check_query(packet);
  if (auto* q = std::get_if<ClientQuery>(&check)) {
    (void)error_reply(*q, EchoQuestion::Yes, RCode::ServFail, nullptr);
  } else if (auto* reject = std::get_if<RejectQuery>(&check)) {
    (void)error_reply(reject->query, reject->has_question ? EchoQuestion::Yes : EchoQuestion::No,
                      reject->rcode, nullptr);
  }
  (void)Message::parse_question(packet);

  // The upstream side: a whole message, every record.
  auto msg = Message::parse(packet);
  if (!msg) return 0;
  (void)msg->rcode();
  (void)msg->edns_options();
  for (const auto& q : msg->questions()) (void)q.name.to_string();
  std::vector<uint8_t> expanded;
  std::vector<uint8_t> canonical;
  for (const auto& rr : msg->records()) {
    (void)rr.owner.to_string();
    expanded.clear();
    if (!expand_rdata(*msg, rr, expanded)) continue;
    canonical.clear();
    append_canonical_rdata(rr.type, expanded, canonical);
    typed_rdata(rr.type, rr.owner, expanded);
  }
  if (auto* q = std::get_if<ClientQuery>(&check)) {
    // As if this message were the upstream's answer to itself.
    for (size_t limit : {size_t{512}, size_t{1232}, size_t{65535}}) {
      (void)forward_reply(*q, *msg, AdBit::Set, limit, nullptr);
    }
  }
  auto sets = group_rrsets(*msg);
  if (!sets) return 0;
  for (const auto& set : *sets) {
    for (const auto& sig_rdata : set.rrsigs) {
      auto sig = parse_rrsig(sig_rdata);
      if (!sig) continue;
      (void)signed_data(*sig, sig_rdata, set);
    }
  }
  return 0;
}
