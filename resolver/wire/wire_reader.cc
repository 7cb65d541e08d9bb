#include "resolver/wire/wire_reader.h"

namespace dnsp::resolver {

WireResult<uint8_t> WireReader::u8() {
  if (remaining() < 1) return unexpected(WireError::Truncated);
  return packet_[pos_++];
}

WireResult<uint16_t> WireReader::u16() {
  if (remaining() < 2) return unexpected(WireError::Truncated);
  const uint16_t v = load_u16(packet_.data() + pos_);
  pos_ += 2;
  return v;
}

WireResult<uint32_t> WireReader::u32() {
  if (remaining() < 4) return unexpected(WireError::Truncated);
  const uint32_t v = load_u32(packet_.data() + pos_);
  pos_ += 4;
  return v;
}

WireResult<std::span<const uint8_t>> WireReader::bytes(size_t n) {
  if (remaining() < n) return unexpected(WireError::Truncated);
  auto s = packet_.subspan(pos_, n);
  pos_ += n;
  return s;
}

WireResult<Name> WireReader::name() {
  Name out;
  size_t out_len = 0;
  size_t cursor = pos_;  // where the next label octet is read
  size_t limit = end_;   // in-place part is bounded by end_; after a jump, by the jump
  bool jumped = false;
  while (true) {
    // After a jump, reaching the limit means reading the pointer we came from again.
    if (cursor >= limit) return unexpected(jumped ? WireError::PointerLoop : WireError::Truncated);
    const uint8_t len = packet_[cursor];
    if ((len & 0xC0) == 0xC0) {
      if (cursor + 1 >= limit) return unexpected(WireError::Truncated);
      const size_t target = static_cast<size_t>(len & 0x3F) << 8 | packet_[cursor + 1];
      // RFC 1035 §4.1.4 pointers refer to a prior occurrence: strictly backwards, which
      // also makes loops impossible.
      if (target >= cursor) return unexpected(WireError::PointerLoop);
      if (!jumped) pos_ = cursor + 2;
      jumped = true;
      limit = cursor;  // the target and everything it reaches lies before this pointer
      cursor = target;
      continue;
    }
    if (len & 0xC0) return unexpected(WireError::BadLabel);  // 0x40/0x80: reserved
    if (cursor + 1 + len > limit) return unexpected(WireError::Truncated);
    if (out_len + 1 + len > Name::kMaxWire) return unexpected(WireError::NameTooLong);
    for (size_t i = 0; i <= len; ++i) out.wire_[out_len + i] = packet_[cursor + i];
    out_len += 1 + len;
    cursor += 1 + len;
    if (len == 0) break;
  }
  if (!jumped) pos_ = cursor;
  out.size_ = static_cast<uint8_t>(out_len);
  return out;
}

}  // namespace dnsp::resolver
