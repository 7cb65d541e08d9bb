#include "resolver/serve/padding.h"

#include "resolver/wire/message.h"

namespace dnsp::resolver {

bool pad_query(std::vector<uint8_t>& query, size_t block, Keepalive keepalive) {
  constexpr size_t kOptionHeader = 4;  // OPTION-CODE, OPTION-LENGTH
  if (block == 0) return false;
  auto msg = Message::parse(query);
  if (!msg || !msg->edns()) return false;
  const Edns& edns = *msg->edns();
  // RDLENGTH sits just before the RDATA; the RDATA must end the message.
  if (edns.options_offset < 2 ||
      size_t(edns.options_offset) + edns.options_length != query.size()) {
    return false;
  }
  for (const EdnsOption& o : msg->edns_options()) {
    if (o.code == kEdnsOptionPadding) return false;
  }
  const size_t rdlength_at = edns.options_offset - 2;
  size_t added = kOptionHeader;  // the Padding option header
  if (keepalive == Keepalive::Ask) added += kOptionHeader;
  const size_t unpadded = query.size() + added;
  const size_t padding = (block - unpadded % block) % block;
  const size_t rdlength = size_t(edns.options_length) + added + padding;
  if (rdlength > 0xFFFF) return false;
  auto put16 = [&query](uint16_t v) {
    query.push_back(static_cast<uint8_t>(v >> 8));
    query.push_back(static_cast<uint8_t>(v));
  };
  if (keepalive == Keepalive::Ask) {
    put16(kEdnsOptionTcpKeepalive);  // RFC 7828 §3.2.1: no TIMEOUT in a query
    put16(0);
  }
  put16(kEdnsOptionPadding);
  put16(static_cast<uint16_t>(padding));
  query.resize(query.size() + padding, 0);  // RFC 7830 §4: the padding octets are zero
  query[rdlength_at] = static_cast<uint8_t>(rdlength >> 8);
  query[rdlength_at + 1] = static_cast<uint8_t>(rdlength);
  return true;
}

std::optional<uint16_t> tcp_keepalive_timeout(std::span<const uint8_t> reply) {
  auto msg = Message::parse(reply);
  if (!msg || !msg->edns()) return std::nullopt;
  for (const EdnsOption& o : msg->edns_options()) {
    if (o.code == kEdnsOptionTcpKeepalive && o.data.size() == 2) {
      return static_cast<uint16_t>((o.data[0] << 8) | o.data[1]);
    }
  }
  return std::nullopt;
}

}  // namespace dnsp::resolver
