#include "proxy/upstream/dot_framing.h"

#include <cassert>

namespace dnsp::proxy {

void FrameReader::feed(std::span<const uint8_t> bytes) {
  // Drop what was handed out before growing, so the buffer holds at most one partial
  // message plus this read.
  if (pos_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::optional<std::span<const uint8_t>> FrameReader::next() {
  if (buf_.size() - pos_ < 2) return std::nullopt;
  const size_t length = (size_t(buf_[pos_]) << 8) | buf_[pos_ + 1];
  if (buf_.size() - pos_ - 2 < length) return std::nullopt;
  const std::span<const uint8_t> message(buf_.data() + pos_ + 2, length);
  pos_ += 2 + length;
  return message;
}

void append_frame(std::vector<uint8_t>& out, std::span<const uint8_t> message) {
  assert(message.size() <= 0xFFFF);
  out.push_back(static_cast<uint8_t>(message.size() >> 8));
  out.push_back(static_cast<uint8_t>(message.size()));
  out.insert(out.end(), message.begin(), message.end());
}

std::optional<uint16_t> message_id(std::span<const uint8_t> message) {
  if (message.size() < 12) return std::nullopt;
  return static_cast<uint16_t>((message[0] << 8) | message[1]);
}

namespace {

constexpr size_t kHeader = 12;

// The length of the uncompressed question name at `at`, with its root label; 0 when it is
// malformed or runs past the end.
size_t question_name_length(std::span<const uint8_t> m, size_t at) {
  size_t pos = at;
  while (pos < m.size()) {
    const uint8_t label = m[pos];
    if (label == 0) return pos + 1 - at;
    if (label > 63) return 0;  // a pointer, or a reserved label type
    pos += 1 + label;
    if (pos - at > 255) return 0;
  }
  return 0;
}

uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c; }

}  // namespace

bool reply_matches(std::span<const uint8_t> query, std::span<const uint8_t> reply) {
  if (query.size() < kHeader || reply.size() < kHeader) return false;
  if (query[0] != reply[0] || query[1] != reply[1]) return false;
  if ((reply[2] & 0x80) == 0) return false;               // QR
  if (((query[2] ^ reply[2]) & 0x78) != 0) return false;  // opcode
  if (query[4] != 0 || query[5] != 1 || reply[4] != 0 || reply[5] != 1) return false;
  const size_t qlen = question_name_length(query, kHeader);
  const size_t rlen = question_name_length(reply, kHeader);
  if (qlen == 0 || qlen != rlen) return false;
  if (query.size() < kHeader + qlen + 4 || reply.size() < kHeader + rlen + 4) return false;
  for (size_t i = kHeader; i < kHeader + qlen; ++i) {
    if (lower(query[i]) != lower(reply[i])) return false;  // label lengths are < 'A'
  }
  for (size_t i = kHeader + qlen; i < kHeader + qlen + 4; ++i) {
    if (query[i] != reply[i]) return false;  // QTYPE, QCLASS
  }
  return true;
}

}  // namespace dnsp::proxy
