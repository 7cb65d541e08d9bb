#include "resolver/wire/message_builder.h"

#include <algorithm>
#include <cstring>

#include "resolver/wire/rdata.h"
#include "resolver/wire/wire_reader.h"

namespace dnsp::resolver {
namespace {

constexpr size_t kMaxCompressionTargets = 64;

size_t count_offset(Section s) { return 6 + 2 * static_cast<size_t>(s); }

}  // namespace

MessageBuilder::MessageBuilder(size_t max_size) : max_size_(max_size) {
  buf_.reserve(std::min<size_t>(max_size, 1232));
  buf_.assign(kHeaderSize, 0);
  name_offsets_.reserve(32);  // one allocation for the usual reply's compression targets
}

void MessageBuilder::set_header(uint16_t id, uint16_t flags) {
  store_u16(buf_.data(), id);
  store_u16(buf_.data() + 2, flags);
}

void MessageBuilder::set_flags(uint16_t flags) { store_u16(buf_.data() + 2, flags); }

void MessageBuilder::bump_count(Section s) {
  uint8_t* p = buf_.data() + count_offset(s);
  store_u16(p, static_cast<uint16_t>(load_u16(p) + 1));
}

bool MessageBuilder::written_equals(uint16_t target, std::span<const uint8_t> suffix) const {
  // Walks the name written at `target` (this builder wrote it: labels, then a root label or
  // a pointer to an earlier offset) against the uncompressed `suffix`, octet for octet.
  size_t p = target;
  size_t i = 0;
  while (p < buf_.size() && i < suffix.size()) {
    const uint8_t len = buf_[p];
    if ((len & 0xC0) == 0xC0) {
      if (p + 1 >= buf_.size()) return false;
      const size_t to = static_cast<size_t>(len & 0x3F) << 8 | buf_[p + 1];
      if (to >= p) return false;  // only backwards, as written
      p = to;
      continue;
    }
    if (len != suffix[i]) return false;
    if (len == 0) return true;
    if (p + 1 + len > buf_.size() || i + 1 + len > suffix.size() ||
        !std::equal(buf_.begin() + static_cast<std::ptrdiff_t>(p + 1),
                    buf_.begin() + static_cast<std::ptrdiff_t>(p + 1 + len),
                    suffix.begin() + static_cast<std::ptrdiff_t>(i + 1))) {
      return false;
    }
    p += 1 + len;
    i += 1 + len;
  }
  return false;
}

void MessageBuilder::write_name(const Name& name) {
  const auto wire = name.wire();
  // Try each suffix, longest first, against the names written so far.
  size_t pos = 0;
  while (wire[pos] != 0) {
    const auto suffix = wire.subspan(pos);
    for (uint16_t target : name_offsets_) {
      if (written_equals(target, suffix)) {
        // Labels before the suffix uncompressed, then a pointer.
        for (size_t p = 0; p < pos; p += 1 + wire[p]) {
          if (buf_.size() + p < 0x3FFF && name_offsets_.size() < kMaxCompressionTargets)
            name_offsets_.push_back(static_cast<uint16_t>(buf_.size() + p));
        }
        buf_.insert(buf_.end(), wire.begin(), wire.begin() + pos);
        buf_.push_back(static_cast<uint8_t>(0xC0 | (target >> 8)));
        buf_.push_back(static_cast<uint8_t>(target));
        return;
      }
    }
    pos += 1 + wire[pos];
  }
  for (size_t p = 0; wire[p] != 0; p += 1 + wire[p]) {
    if (buf_.size() + p < 0x3FFF && name_offsets_.size() < kMaxCompressionTargets)
      name_offsets_.push_back(static_cast<uint16_t>(buf_.size() + p));
  }
  buf_.insert(buf_.end(), wire.begin(), wire.end());
}

Fit MessageBuilder::add_question(const Name& name, RRType type, RRClass klass) {
  const size_t mark = buf_.size();
  const size_t marks = name_offsets_.size();
  write_name(name);
  buf_.resize(buf_.size() + 4);
  store_u16(buf_.data() + buf_.size() - 4, to_u16(type));
  store_u16(buf_.data() + buf_.size() - 2, to_u16(klass));
  if (buf_.size() > max_size_) {
    buf_.resize(mark);
    name_offsets_.resize(marks);
    return Fit::DidNotFit;
  }
  store_u16(buf_.data() + 4, static_cast<uint16_t>(load_u16(buf_.data() + 4) + 1));
  return Fit::Fitted;
}

Fit MessageBuilder::add_record(Section section, const Name& owner, RRType type, RRClass klass,
                               uint32_t ttl, std::span<const uint8_t> rdata) {
  const size_t mark = buf_.size();
  const size_t marks = name_offsets_.size();
  write_name(owner);
  const size_t fixed = buf_.size();
  buf_.resize(fixed + 10);
  store_u16(buf_.data() + fixed, to_u16(type));
  store_u16(buf_.data() + fixed + 2, to_u16(klass));
  store_u32(buf_.data() + fixed + 4, ttl);
  store_u16(buf_.data() + fixed + 8, static_cast<uint16_t>(rdata.size()));
  if (buf_.size() + rdata.size() > max_size_ || rdata.size() > 0xFFFF) {
    buf_.resize(mark);
    name_offsets_.resize(marks);
    return Fit::DidNotFit;
  }
  buf_.insert(buf_.end(), rdata.begin(), rdata.end());
  bump_count(section);
  return Fit::Fitted;
}

Fit MessageBuilder::add_record_from(Section section, const Message& msg, const RecordView& rr,
                                    uint32_t ttl) {
  scratch_.clear();
  if (!expand_rdata(msg, rr, scratch_)) {
    // Malformed RDATA for its type: pass the octets on as they came (they hold no
    // pointer we could follow). The validator judges the data, not the forwarder.
    const auto raw = msg.rdata(rr);
    scratch_.assign(raw.begin(), raw.end());
  }
  return add_record(section, rr.owner, rr.type, rr.klass, ttl, scratch_);
}

Fit MessageBuilder::add_opt(const EdnsOut& edns) {
  scratch_.clear();
  if (edns.ede != nullptr) {
    // RFC 8914 §2: INFO-CODE (16 bits) then EXTRA-TEXT.
    const auto& text = edns.ede->text;
    const size_t len = 2 + text.size();
    scratch_.push_back(static_cast<uint8_t>(kEdnsOptionEde >> 8));
    scratch_.push_back(static_cast<uint8_t>(kEdnsOptionEde));
    scratch_.push_back(static_cast<uint8_t>(len >> 8));
    scratch_.push_back(static_cast<uint8_t>(len));
    const auto code = static_cast<uint16_t>(edns.ede->code);
    scratch_.push_back(static_cast<uint8_t>(code >> 8));
    scratch_.push_back(static_cast<uint8_t>(code));
    scratch_.insert(scratch_.end(), text.begin(), text.end());
  }
  for (const auto& option : edns.options) {
    if (option.data.size() > 0xFFFF) return Fit::DidNotFit;
    scratch_.push_back(static_cast<uint8_t>(option.code >> 8));
    scratch_.push_back(static_cast<uint8_t>(option.code));
    scratch_.push_back(static_cast<uint8_t>(option.data.size() >> 8));
    scratch_.push_back(static_cast<uint8_t>(option.data.size()));
    scratch_.insert(scratch_.end(), option.data.begin(), option.data.end());
  }
  const uint32_t ttl = uint32_t{edns.extended_rcode} << 24 | edns.flags;  // version 0
  auto fit = add_record(Section::Additional, Name::root(), RRType::OPT,
                        static_cast<RRClass>(edns.udp_payload), ttl, scratch_);
  if (fit == Fit::DidNotFit && edns.ede != nullptr) {
    // Drop the EDE text before dropping EDNS altogether.
    EdnsOut bare = edns;
    bare.ede = nullptr;
    return add_opt(bare);
  }
  return fit;
}

std::vector<uint8_t> MessageBuilder::finish() {
  std::vector<uint8_t> out = std::move(buf_);
  buf_.assign(kHeaderSize, 0);
  name_offsets_.clear();
  return out;
}

}  // namespace dnsp::resolver
