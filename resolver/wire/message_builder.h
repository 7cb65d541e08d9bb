// MessageBuilder: writes a DNS message (RFC 1035 §4.1) section by section, compressing
// owner names against earlier ones, with an EDNS0 OPT (RFC 6891) that may carry an
// Extended DNS Error (RFC 8914). Every add_* reports whether it fitted in max_size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "resolver/wire/ede.h"
#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

struct EdnsOut {
  uint16_t udp_payload = 1232;
  uint8_t extended_rcode = 0;  // upper 8 bits of the rcode
  uint16_t flags = 0;          // kEdnsDo
  const ExtendedError* ede = nullptr;
  std::span<const EdnsOption> options{};  // more options, after the EDE (RFC 6891 §6.1.2)
};

enum class Fit : uint8_t { Fitted, DidNotFit };

class MessageBuilder {
 public:
  explicit MessageBuilder(size_t max_size = 65535);

  // The header: `flags` is the whole second word (opcode and the low 4 rcode bits in it).
  void set_header(uint16_t id, uint16_t flags);
  void set_flags(uint16_t flags);
  Fit add_question(const Name& name, RRType type, RRClass klass);
  // Records must be added in section order. `rdata` must be uncompressed.
  Fit add_record(Section section, const Name& owner, RRType type, RRClass klass, uint32_t ttl,
                 std::span<const uint8_t> rdata);
  // Copies a record of a parsed message, uncompressing its RDATA (see expand_rdata).
  Fit add_record_from(Section section, const Message& msg, const RecordView& rr, uint32_t ttl);
  // The OPT record goes last, into the additional section.
  Fit add_opt(const EdnsOut& edns);

  size_t size() const { return buf_.size(); }
  // Changes the limit for what is added from now on (e.g. to leave room for the OPT).
  void set_max_size(size_t max_size) { max_size_ = max_size; }
  // The finished packet; the builder is left empty.
  std::vector<uint8_t> finish();

 private:
  void write_name(const Name& name);
  // True when the name written at offset `target` is exactly `suffix` (same octets).
  bool written_equals(uint16_t target, std::span<const uint8_t> suffix) const;
  void bump_count(Section s);

  size_t max_size_;
  std::vector<uint8_t> buf_;
  std::vector<uint8_t> scratch_;
  // Offsets of label sequences already written, for compression (RFC 1035 §4.1.4).
  std::vector<uint16_t> name_offsets_;
};

}  // namespace dnsp::resolver
