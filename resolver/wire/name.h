// Name: a domain name in uncompressed wire form held in an inline buffer (no allocation).
// Equality is ASCII case-insensitive (RFC 4343); canonical_compare is the RFC 4034 §6.1
// canonical order. Presentation format follows RFC 1035 §5.1 (\. and \DDD escapes).
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "resolver/wire/wire_error.h"

namespace dnsp::resolver {

class Name {
 public:
  static constexpr size_t kMaxWire = 255;  // RFC 1035 §2.3.4
  static constexpr size_t kMaxLabel = 63;

  Name() : size_(1) { wire_[0] = 0; }  // the root
  // Copies move only the name's own octets: a Name is 256 bytes, most of them unused, and
  // names are copied on every path (cache keys, proofs, replies).
  Name(const Name& other) noexcept : size_(other.size_) {
    std::memcpy(wire_.data(), other.wire_.data(), other.size_);
  }
  Name& operator=(const Name& other) noexcept {
    size_ = other.size_;
    std::memmove(wire_.data(), other.wire_.data(), other.size_);
    return *this;
  }
  static Name root() { return Name(); }

  // Presentation format: "example.com", "example.com.", "." ; relative names are taken
  // as absolute.
  static WireResult<Name> from_text(std::string_view text);
  // Uncompressed wire form (labels ending in the root label), validated.
  static WireResult<Name> from_wire(std::span<const uint8_t> wire);

  std::span<const uint8_t> wire() const { return {wire_.data(), size_}; }
  size_t wire_size() const { return size_; }
  bool is_root() const { return size_ == 1; }
  size_t label_count() const;  // the root label is not counted: "a.b." has 2
  bool is_wildcard() const { return size_ >= 2 && wire_[0] == 1 && wire_[1] == '*'; }
  std::span<const uint8_t> first_label() const;  // without its length octet

  // The name with its first label removed; the root's parent is the root.
  Name parent() const;
  // The last `labels` labels: suffix(0) is the root.
  Name suffix(size_t labels) const;
  // `label` + "." + this; fails with NameTooLong / BadLabel.
  WireResult<Name> prepend(std::span<const uint8_t> label) const;
  // RFC 6672 §2.2, the DNAME substitution: this name with its suffix `owner` (an ancestor)
  // replaced by `target`, the labels before it kept in order (a.b.x. under x. DNAME t. is
  // a.b.t.). Fails with NameTooLong when the result exceeds 255 octets.
  WireResult<Name> substitute_suffix(const Name& owner, const Name& target) const;
  Name lowercased() const;

  // How many trailing labels this name and `other` share (case-insensitive): the label
  // count of their closest common ancestor.
  size_t common_labels(const Name& other) const;
  // True when this name equals `ancestor` or lies below it.
  bool is_subdomain_of(const Name& ancestor) const;

  std::string to_string() const;  // always ends in "."

  friend bool operator==(const Name& a, const Name& b);
  // RFC 4034 §6.1: compare label by label from the right, each as lowercased octets.
  friend std::strong_ordering canonical_compare(const Name& a, const Name& b);

  size_t hash() const;  // case-insensitive, consistent with ==

 private:
  friend class WireReader;
  // Only the first size_ octets are ever written or read (no zeroing: see the copies above).
  std::array<uint8_t, kMaxWire> wire_;
  uint8_t size_;
};

struct NameHash {
  size_t operator()(const Name& n) const { return n.hash(); }
};

}  // namespace dnsp::resolver
