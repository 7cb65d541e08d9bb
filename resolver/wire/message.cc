#include "resolver/wire/message.h"

#include "resolver/wire/wire_reader.h"

namespace dnsp::resolver {
namespace {

// Upper bound on records per message: each record needs at least 11 octets.
constexpr size_t kMaxRecords = 65535 / 11;

}  // namespace

WireResult<Message> Message::parse(std::span<const uint8_t> packet) {
  return parse_impl(packet, Depth::Full);
}

WireResult<Message> Message::parse_question(std::span<const uint8_t> packet) {
  return parse_impl(packet, Depth::QuestionOnly);
}

WireResult<Message> Message::parse_impl(std::span<const uint8_t> packet, Depth depth) {
  Message m;
  m.packet_ = packet;
  auto& counts = m.counts_;
  auto& questions = m.questions_;
  auto& records = m.records_;
  auto& edns = m.edns_;
  WireReader r(packet);
  if (packet.size() < kHeaderSize) return unexpected(WireError::Truncated);
  m.id_ = *r.u16();
  m.flags_ = *r.u16();
  m.qdcount_ = *r.u16();
  for (auto& c : counts) c = *r.u16();
  const uint16_t qdcount = m.qdcount_;
  // Each question needs at least 5 octets: refuse absurd counts before reserving.
  if (size_t{qdcount} * 5 > r.remaining()) return unexpected(WireError::Truncated);
  questions.reserve(qdcount);
  for (uint16_t i = 0; i < qdcount; ++i) {
    auto name = r.name();
    if (!name) return unexpected(name.error());
    auto type = r.u16();
    auto klass = r.u16();
    if (!klass) return unexpected(WireError::Truncated);
    questions.push_back({*name, static_cast<RRType>(*type), static_cast<RRClass>(*klass)});
  }
  if (depth == Depth::QuestionOnly) return m;

  const size_t total = size_t{counts[0]} + counts[1] + counts[2];
  if (total > kMaxRecords || total * 11 > r.remaining()) return unexpected(WireError::Truncated);
  records.reserve(total);
  for (size_t s = 0; s < 3; ++s) {
    const auto section = static_cast<Section>(s);
    for (uint16_t i = 0; i < counts[s]; ++i) {
      auto owner = r.name();
      if (!owner) return unexpected(owner.error());
      auto type = r.u16();
      auto klass = r.u16();
      auto ttl = r.u32();
      auto rdlength = r.u16();
      // Each read is checked: a failed TTL read leaves 2-3 octets a later RDLENGTH would take.
      if (!type || !klass || !ttl || !rdlength) return unexpected(WireError::Truncated);
      const size_t rdata_offset = r.pos();
      if (!r.bytes(*rdlength)) return unexpected(WireError::Truncated);
      if (static_cast<RRType>(*type) == RRType::OPT) {
        // RFC 6891 §6.1.1: only one OPT, only in the additional section, owner root.
        if (section != Section::Additional || edns.has_value() || !owner->is_root()) {
          return unexpected(WireError::BadOpt);
        }
        Edns e;
        e.udp_payload = *klass;
        e.extended_rcode = static_cast<uint8_t>(*ttl >> 24);
        e.version = static_cast<uint8_t>(*ttl >> 16);
        e.flags = static_cast<uint16_t>(*ttl);
        e.options_offset = static_cast<uint16_t>(rdata_offset);
        e.options_length = *rdlength;
        // The options must be well-formed {code, length, data} triples.
        WireReader opts(packet, rdata_offset, rdata_offset + *rdlength);
        while (!opts.at_end()) {
          (void)opts.u16();  // option code: any value is well-formed
          auto len = opts.u16();
          if (!len || !opts.bytes(*len)) return unexpected(WireError::BadOpt);
        }
        edns = e;
        continue;
      }
      // RFC 2181 §8: a TTL with the most significant bit set is treated as zero.
      const uint32_t record_ttl = (*ttl & 0x80000000u) != 0 ? 0 : *ttl;
      records.push_back({*owner, static_cast<RRType>(*type), static_cast<RRClass>(*klass),
                         record_ttl, static_cast<uint16_t>(rdata_offset), *rdlength, section});
    }
  }
  if (!r.at_end()) return unexpected(WireError::TrailingData);
  return m;
}

RCode Message::rcode() const {
  uint16_t rc = flags_ & 0xF;
  if (edns_) rc |= static_cast<uint16_t>(edns_->extended_rcode) << 4;
  return static_cast<RCode>(rc);
}

std::vector<EdnsOption> Message::edns_options() const {
  std::vector<EdnsOption> out;
  if (!edns_) return out;
  WireReader r(packet_, edns_->options_offset, edns_->options_offset + edns_->options_length);
  while (!r.at_end()) {
    auto code = r.u16();
    auto len = r.u16();
    if (!len) return {};
    auto data = r.bytes(*len);
    if (!data) return {};
    out.push_back({*code, *data});
  }
  return out;
}

}  // namespace dnsp::resolver
