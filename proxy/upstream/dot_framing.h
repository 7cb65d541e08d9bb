// DNS messages over a byte stream (RFC 1035 §4.2.2, RFC 7766 §8; over TLS, RFC 7858 §3.3):
// each message is preceded by its length in two octets. FrameReader cuts the stream, fed in
// pieces of any size, into messages; reply_matches() decides whether a message read from a
// pipelined connection answers a given query (RFC 7766 §6.2.1.1: answers come in any order,
// matched by ID, and the question must be the one asked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dnsp::proxy {

class FrameReader {
 public:
  // Appends stream bytes. Spans next() returned before are invalid afterwards.
  void feed(std::span<const uint8_t> bytes);
  // The next whole message (possibly empty: a zero length frame), or nullopt until more
  // bytes arrive.
  std::optional<std::span<const uint8_t>> next();
  // Octets held that belong to a message not yet complete.
  size_t pending() const { return buf_.size() - pos_; }

 private:
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;  // the first octet not handed out yet
};

// Appends `message` to `out` with its two-octet length in front. `message` must be at most
// 65535 octets.
void append_frame(std::vector<uint8_t>& out, std::span<const uint8_t> message);

// The message ID (first two octets); nullopt when shorter than a header.
std::optional<uint16_t> message_id(std::span<const uint8_t> message);

// True when `reply` can be the answer to `query`: a whole header with QR set, the same ID
// and opcode, and the same one question (name compared without regard to ASCII case, RFC
// 4343; type and class exactly). Reads nothing beyond the question; compression pointers in
// the reply's question are not followed (a question name is never compressed: nothing
// precedes it).
bool reply_matches(std::span<const uint8_t> query, std::span<const uint8_t> reply);

}  // namespace dnsp::proxy
