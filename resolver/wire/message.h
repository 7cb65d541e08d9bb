// Message: a parsed DNS message as views into the received packet (RFC 1035 §4.1), with
// EDNS0 (RFC 6891) pulled out of the additional section. The packet must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "resolver/wire/name.h"
#include "resolver/wire/types.h"
#include "resolver/wire/wire_error.h"

namespace dnsp::resolver {

enum class Section : uint8_t { Answer, Authority, Additional };

inline constexpr size_t kHeaderSize = 12;

struct Question {
  Name name;
  RRType type = RRType::A;
  RRClass klass = RRClass::IN;
};

// One resource record; its RDATA stays in the packet (it may hold compression pointers:
// use expand_rdata() in rdata.h to get it uncompressed).
struct RecordView {
  Name owner;
  RRType type;
  RRClass klass;
  uint32_t ttl;
  uint16_t rdata_offset;
  uint16_t rdata_length;
  Section section;
};

// EDNS0 OPT pseudo-record (RFC 6891 §6.1.2-6.1.3).
struct Edns {
  uint16_t udp_payload = 512;
  uint8_t extended_rcode = 0;  // upper 8 bits of the 12-bit rcode
  uint8_t version = 0;
  uint16_t flags = 0;           // DO is kEdnsDo
  uint16_t options_offset = 0;  // the OPT RDATA: a sequence of {code, length, data}
  uint16_t options_length = 0;
  bool dnssec_ok() const { return (flags & kEdnsDo) != 0; }
};

struct EdnsOption {
  uint16_t code;
  std::span<const uint8_t> data;
};

class Message {
 public:
  // Parses the whole packet. Fails on any malformed field, on octets after the last
  // record, and on an OPT outside the additional section or a second OPT (RFC 6891
  // §6.1.1: FORMERR).
  static WireResult<Message> parse(std::span<const uint8_t> packet);
  // Parses only the header and the question section (for replying to a bad query).
  static WireResult<Message> parse_question(std::span<const uint8_t> packet);

  uint16_t id() const { return id_; }
  uint16_t flags() const { return flags_; }  // the whole second header word
  bool has_flag(uint16_t f) const { return (flags_ & f) != 0; }
  Opcode opcode() const { return static_cast<Opcode>((flags_ >> 11) & 0xF); }
  // The 12-bit rcode, including the EDNS extended bits.
  RCode rcode() const;
  uint16_t count(Section s) const { return counts_[static_cast<size_t>(s)]; }

  const std::vector<Question>& questions() const { return questions_; }
  const std::vector<RecordView>& records() const { return records_; }  // OPT excluded
  const std::optional<Edns>& edns() const { return edns_; }
  std::vector<EdnsOption> edns_options() const;  // empty when malformed or absent

  std::span<const uint8_t> packet() const { return packet_; }
  std::span<const uint8_t> rdata(const RecordView& rr) const {
    return packet_.subspan(rr.rdata_offset, rr.rdata_length);
  }

 private:
  enum class Depth : uint8_t { QuestionOnly, Full };
  static WireResult<Message> parse_impl(std::span<const uint8_t> packet, Depth depth);

  std::span<const uint8_t> packet_;
  uint16_t id_ = 0;
  uint16_t flags_ = 0;
  uint16_t qdcount_ = 0;
  uint16_t counts_[3] = {0, 0, 0};  // answer, authority, additional as parsed (OPT included)
  std::vector<Question> questions_;
  std::vector<RecordView> records_;
  std::optional<Edns> edns_;
};

}  // namespace dnsp::resolver
