// The fuzz_validator input format and the private signed hierarchy its seeds come from,
// shared by the target and by make_corpus (which writes the seed corpus).
//
// Input: one octet choosing the client's question (kQuestions, modulo its size), then
// slices, each a 2-octet big-endian length and that many octets (fewer if the input ends).
// The first slice is the upstream's answer; each later one is the reply to the next
// NeedRecords, and the length 0xFFFF stands for "no usable reply" (a fetch that failed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "resolver/wire/types.h"

namespace dnsp::fuzz {

// The validation clock, and the validity window of every seed signature around it.
inline constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z
inline constexpr uint32_t kInception = 1690000000;
inline constexpr uint32_t kExpiration = 1710000000;

// The trust anchor is the KSK of "test." (Ed25519, private key 32 octets of kAnchorSeed).
inline constexpr std::string_view kAnchorZone = "test.";
inline constexpr uint8_t kAnchorSeed = 0x01;

struct FuzzQuestion {
  std::string_view name;
  resolver::RRType type;
};
inline constexpr FuzzQuestion kQuestions[] = {
    {"www.example.test.", resolver::RRType::A},   {"www.example.test.", resolver::RRType::AAAA},
    {"nx.example.test.", resolver::RRType::A},    {"www.unsigned.test.", resolver::RRType::A},
    {"alias.example.test.", resolver::RRType::A},
};
inline constexpr size_t kQuestionCount = sizeof kQuestions / sizeof kQuestions[0];
inline constexpr uint16_t kFailedFetch = 0xFFFF;

// Splits an input after its first octet into slices; a failed fetch is nullopt.
class Slices {
 public:
  explicit Slices(std::span<const uint8_t> rest) : rest_(rest) {}
  bool empty() const { return rest_.size() < 2; }
  std::optional<std::span<const uint8_t>> next() {
    const size_t len = size_t{rest_[0]} << 8 | rest_[1];
    rest_ = rest_.subspan(2);
    if (len == kFailedFetch) return std::nullopt;
    const size_t n = len < rest_.size() ? len : rest_.size();
    auto out = rest_.first(n);
    rest_ = rest_.subspan(n);
    return out;
  }

 private:
  std::span<const uint8_t> rest_;
};

inline void append_slice(std::vector<uint8_t>& out, const std::vector<uint8_t>& packet) {
  out.push_back(static_cast<uint8_t>(packet.size() >> 8));
  out.push_back(static_cast<uint8_t>(packet.size()));
  out.insert(out.end(), packet.begin(), packet.end());
}

}  // namespace dnsp::fuzz
