#include "resolver/anchors/sentinel.h"

#include <string_view>

#include "resolver/verify/canonical.h"

namespace dnsp::resolver {

namespace {
constexpr std::string_view kIsTa = "root-key-sentinel-is-ta-";
constexpr std::string_view kNotTa = "root-key-sentinel-not-ta-";
constexpr size_t kDigits = 5;
constexpr uint16_t kRevoke = 0x0080;  // DNSKEY flags bit 8 (RFC 5011 §7)

bool starts_with_nocase(std::span<const uint8_t> label, std::string_view prefix) {
  if (label.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    uint8_t c = label[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c - 'A' + 'a');
    if (c != static_cast<uint8_t>(prefix[i])) return false;
  }
  return true;
}
}  // namespace

std::optional<Sentinel> parse_sentinel(const Name& qname, RRType qtype) {
  if (qtype != RRType::A && qtype != RRType::AAAA) return std::nullopt;
  if (qname.is_root()) return std::nullopt;
  const std::span<const uint8_t> label = qname.first_label();
  Sentinel s{};
  size_t prefix = 0;
  if (starts_with_nocase(label, kIsTa)) {
    s.kind = Sentinel::Kind::IsTa;
    prefix = kIsTa.size();
  } else if (starts_with_nocase(label, kNotTa)) {
    s.kind = Sentinel::Kind::NotTa;
    prefix = kNotTa.size();
  } else {
    return std::nullopt;
  }
  if (label.size() != prefix + kDigits) return std::nullopt;
  uint32_t tag = 0;
  for (size_t i = prefix; i < label.size(); ++i) {
    if (label[i] < '0' || label[i] > '9') return std::nullopt;
    tag = tag * 10 + (label[i] - '0');
  }
  if (tag > 0xFFFF) return std::nullopt;
  s.key_tag = static_cast<uint16_t>(tag);
  return s;
}

bool is_root_trust_anchor(const TrustAnchors& anchors, uint16_t key_tag) {
  const TrustAnchor* root = anchors.find(Name::root());
  if (root == nullptr) return false;
  for (const auto& ds : root->ds_rdatas) {
    if (ds.size() >= 2 && static_cast<uint16_t>(ds[0] << 8 | ds[1]) == key_tag) return true;
  }
  for (const auto& key : root->dnskey_rdatas) {
    if (key.size() < 4 || ((key[0] << 8 | key[1]) & kRevoke) != 0) continue;
    if (resolver::key_tag(key) == key_tag) return true;
  }
  return false;
}

bool sentinel_keeps_answer(const Sentinel& s, const TrustAnchors& anchors) {
  const bool trusted = is_root_trust_anchor(anchors, s.key_tag);
  return s.kind == Sentinel::Kind::IsTa ? trusted : !trusted;
}

}  // namespace dnsp::resolver
