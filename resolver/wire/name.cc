#include "resolver/wire/name.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "resolver/wire/ascii.h"

namespace dnsp::resolver {
namespace {

// Offsets of each label's length octet, root label excluded.
size_t label_offsets(std::span<const uint8_t> wire, std::array<uint8_t, 128>& out) {
  size_t n = 0;
  for (size_t pos = 0; wire[pos] != 0; pos += 1 + wire[pos]) out[n++] = static_cast<uint8_t>(pos);
  return n;
}

}  // namespace

WireResult<Name> Name::from_text(std::string_view text) {
  Name n;
  if (text == "." || text.empty()) return n;
  size_t out = 1;          // next free octet; wire_[label_start] is the open label's length
  size_t label_start = 0;  // the open label
  size_t label_len = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    uint8_t octet = static_cast<uint8_t>(text[i]);
    if (text[i] == '.') {  // an unescaped dot closes the open label
      if (label_len == 0) return unexpected(WireError::BadLabel);  // empty label
      n.wire_[label_start] = static_cast<uint8_t>(label_len);
      if (i + 1 == text.size()) {
        label_start = out;  // the root label's octet
        label_len = 0;
        break;
      }
      if (out + 1 >= kMaxWire) return unexpected(WireError::NameTooLong);
      label_start = out++;
      label_len = 0;
      continue;
    }
    if (text[i] == '\\') {
      if (i + 1 >= text.size()) return unexpected(WireError::BadLabel);
      if (text[i + 1] >= '0' && text[i + 1] <= '9') {  // \DDD
        if (i + 3 >= text.size()) return unexpected(WireError::BadLabel);
        unsigned v = 0;
        for (size_t k = 1; k <= 3; ++k) {
          const char d = text[i + k];
          if (d < '0' || d > '9') return unexpected(WireError::BadLabel);
          v = v * 10 + static_cast<unsigned>(d - '0');
        }
        if (v > 255) return unexpected(WireError::BadLabel);
        octet = static_cast<uint8_t>(v);
        i += 3;
      } else {  // \X
        octet = static_cast<uint8_t>(text[i + 1]);
        i += 1;
      }
    }
    if (label_len == kMaxLabel) return unexpected(WireError::BadLabel);
    if (out + 1 >= kMaxWire) return unexpected(WireError::NameTooLong);
    n.wire_[out++] = octet;
    ++label_len;
  }
  if (label_len > 0) {  // no trailing dot: close the last label
    n.wire_[label_start] = static_cast<uint8_t>(label_len);
    label_start = out;
  }
  n.wire_[label_start] = 0;
  n.size_ = static_cast<uint8_t>(label_start + 1);
  return n;
}

WireResult<Name> Name::from_wire(std::span<const uint8_t> wire) {
  if (wire.empty()) return unexpected(WireError::Truncated);
  if (wire.size() > kMaxWire) return unexpected(WireError::NameTooLong);
  size_t pos = 0;
  while (true) {
    if (pos >= wire.size()) return unexpected(WireError::Truncated);
    const uint8_t len = wire[pos];
    if (len == 0) break;
    if (len > kMaxLabel) return unexpected(WireError::BadLabel);
    pos += 1 + len;
  }
  if (pos + 1 != wire.size()) return unexpected(WireError::BadRdata);
  Name n;
  std::copy(wire.begin(), wire.end(), n.wire_.begin());
  n.size_ = static_cast<uint8_t>(wire.size());
  return n;
}

size_t Name::label_count() const {
  size_t n = 0;
  for (size_t pos = 0; wire_[pos] != 0; pos += 1 + wire_[pos]) ++n;
  return n;
}

std::span<const uint8_t> Name::first_label() const { return {wire_.data() + 1, wire_[0]}; }

Name Name::parent() const {
  if (is_root()) return *this;
  Name p;
  const size_t skip = 1 + wire_[0];
  std::copy(wire_.begin() + skip, wire_.begin() + size_, p.wire_.begin());
  p.size_ = static_cast<uint8_t>(size_ - skip);
  return p;
}

Name Name::suffix(size_t labels) const {
  if (labels == 0) return Name::root();  // label_offsets() sets only offs[0, n)
  std::array<uint8_t, 128> offs;
  const size_t n = label_offsets(wire(), offs);
  if (labels >= n) return *this;
  const size_t start = offs[n - labels];
  Name s;
  std::copy(wire_.begin() + start, wire_.begin() + size_, s.wire_.begin());
  s.size_ = static_cast<uint8_t>(size_ - start);
  return s;
}

WireResult<Name> Name::prepend(std::span<const uint8_t> label) const {
  if (label.empty() || label.size() > kMaxLabel) return unexpected(WireError::BadLabel);
  if (size_ + 1 + label.size() > kMaxWire) return unexpected(WireError::NameTooLong);
  Name r;
  r.wire_[0] = static_cast<uint8_t>(label.size());
  std::copy(label.begin(), label.end(), r.wire_.begin() + 1);
  std::copy(wire_.begin(), wire_.begin() + size_, r.wire_.begin() + 1 + label.size());
  r.size_ = static_cast<uint8_t>(size_ + 1 + label.size());
  return r;
}

WireResult<Name> Name::substitute_suffix(const Name& owner, const Name& target) const {
  assert(is_subdomain_of(owner));
  const size_t keep = label_count() - owner.label_count();
  Name next = target;
  // Prepended from the label next to the owner outwards.
  for (size_t i = 1; i <= keep; ++i) {
    auto p = next.prepend(suffix(owner.label_count() + i).first_label());
    if (!p) return p;
    next = *p;
  }
  return next;
}

Name Name::lowercased() const {
  Name r = *this;
  for (size_t pos = 0; r.wire_[pos] != 0; pos += 1 + r.wire_[pos]) {
    for (size_t i = 1; i <= r.wire_[pos]; ++i) r.wire_[pos + i] = ascii_lower(r.wire_[pos + i]);
  }
  return r;
}

size_t Name::common_labels(const Name& other) const {
  std::array<uint8_t, 128> oa, ob;
  const size_t na = label_offsets(wire(), oa);
  const size_t nb = label_offsets(other.wire(), ob);
  size_t k = 0;
  for (; k < std::min(na, nb); ++k) {
    const uint8_t* la = wire_.data() + oa[na - 1 - k];
    const uint8_t* lb = other.wire_.data() + ob[nb - 1 - k];
    if (la[0] != lb[0]) break;
    size_t i = 1;
    while (i <= la[0] && ascii_lower(la[i]) == ascii_lower(lb[i])) ++i;
    if (i <= la[0]) break;
  }
  return k;
}

bool Name::is_subdomain_of(const Name& ancestor) const {
  if (ancestor.size_ > size_) return false;
  // Walk our labels until the remaining suffix has the ancestor's length, then compare.
  size_t pos = 0;
  while (size_ - pos > ancestor.size_) pos += 1 + wire_[pos];
  if (size_ - pos != ancestor.size_) return false;
  for (size_t i = 0; i < ancestor.size_; ++i) {
    if (ascii_lower(wire_[pos + i]) != ascii_lower(ancestor.wire_[i])) return false;
  }
  return true;
}

std::string Name::to_string() const {
  if (is_root()) return ".";
  std::string s;
  for (size_t pos = 0; wire_[pos] != 0; pos += 1 + wire_[pos]) {
    for (size_t i = 1; i <= wire_[pos]; ++i) {
      const uint8_t c = wire_[pos + i];
      if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
          c == '$') {
        s += '\\';
        s += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7F) {
        char buf[5];
        buf[0] = '\\';
        buf[1] = static_cast<char>('0' + c / 100);
        buf[2] = static_cast<char>('0' + (c / 10) % 10);
        buf[3] = static_cast<char>('0' + c % 10);
        buf[4] = 0;
        s += buf;
      } else {
        s += static_cast<char>(c);
      }
    }
    s += '.';
  }
  return s;
}

bool operator==(const Name& a, const Name& b) {
  if (a.size_ != b.size_) return false;
  // Length octets are < 64 and so unaffected by ascii_lower; compare all octets folded.
  for (size_t i = 0; i < a.size_; ++i) {
    if (ascii_lower(a.wire_[i]) != ascii_lower(b.wire_[i])) return false;
  }
  return true;
}

std::strong_ordering canonical_compare(const Name& a, const Name& b) {
  std::array<uint8_t, 128> oa, ob;
  const size_t na = label_offsets(a.wire(), oa);
  const size_t nb = label_offsets(b.wire(), ob);
  for (size_t i = 1; i <= std::min(na, nb); ++i) {
    const uint8_t* la = a.wire_.data() + oa[na - i];
    const uint8_t* lb = b.wire_.data() + ob[nb - i];
    const size_t len = std::min(la[0], lb[0]);
    for (size_t k = 1; k <= len; ++k) {
      const uint8_t ca = ascii_lower(la[k]);
      const uint8_t cb = ascii_lower(lb[k]);
      if (ca != cb) return ca <=> cb;
    }
    if (la[0] != lb[0]) return la[0] <=> lb[0];
  }
  return na <=> nb;
}

size_t Name::hash() const {
  // FNV-1a over the lowercased wire form.
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size_; ++i) {
    h ^= ascii_lower(wire_[i]);
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

}  // namespace dnsp::resolver
