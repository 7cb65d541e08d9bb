#include "resolver/verify/canonical.h"

#include <algorithm>

#include "resolver/wire/ascii.h"
#include "resolver/wire/rdata_layout.h"
#include "resolver/wire/wire_reader.h"

namespace dnsp::resolver {
namespace {

// Appends the uncompressed name at rdata[pos] lowercased; false when it is not one.
bool append_lowered_name(std::span<const uint8_t> rdata, size_t& pos, std::vector<uint8_t>& out) {
  size_t p = pos;
  std::vector<uint8_t> name;
  while (true) {
    if (p >= rdata.size()) return false;
    const uint8_t len = rdata[p];
    if (len > Name::kMaxLabel) return false;  // also a compression pointer: not canonical
    if (p + 1 + len > rdata.size()) return false;
    name.push_back(len);
    for (size_t i = 1; i <= len; ++i) name.push_back(ascii_lower(rdata[p + i]));
    p += 1 + len;
    if (len == 0) break;
  }
  if (name.size() > Name::kMaxWire) return false;
  out.insert(out.end(), name.begin(), name.end());
  pos = p;
  return true;
}

bool append_field(const RdataPart& f, std::span<const uint8_t> rdata, size_t& pos,
                  std::vector<uint8_t>& out) {
  auto copy = [&](size_t n) {
    if (pos + n > rdata.size()) return false;
    out.insert(out.end(), rdata.begin() + pos, rdata.begin() + pos + n);
    pos += n;
    return true;
  };
  switch (f.kind) {
    case RdataField::Name:
      return append_lowered_name(rdata, pos, out);
    case RdataField::Fixed:
      return copy(f.size);
    case RdataField::CharString:
      return pos < rdata.size() && copy(1 + size_t{rdata[pos]});
    case RdataField::A6: {
      if (pos >= rdata.size() || rdata[pos] > 128) return false;
      const uint8_t prefix = rdata[pos];
      if (!copy(1 + (128 - size_t{prefix} + 7) / 8)) return false;
      return prefix == 0 || append_lowered_name(rdata, pos, out);
    }
    case RdataField::Rest:
      return copy(rdata.size() - pos);
  }
  return false;
}

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v));
}

constexpr size_t kRrsigFixedFields = 18;  // Type Covered .. Key Tag (RFC 4034 §3.1)

}  // namespace

void append_canonical_rdata(RRType type, std::span<const uint8_t> rdata,
                            std::vector<uint8_t>& out) {
  const RdataLayout* layout = rdata_layout(type);
  size_t pos = 0;
  if (layout != nullptr && layout->lowercase) {
    for (uint8_t i = 0; i < layout->count; ++i) {
      if (!append_field(layout->parts[i], rdata, pos, out)) break;
    }
  }
  // Whatever no field took (all of it for types without names) is copied unchanged.
  out.insert(out.end(), rdata.begin() + static_cast<std::ptrdiff_t>(pos), rdata.end());
}

std::vector<uint8_t> signed_data(const RrsigRdata& sig, std::span<const uint8_t> rrsig_rdata,
                                 const RRset& rrset) {
  const size_t owner_labels = rrset.owner.label_count();
  if (sig.labels > owner_labels || sig.type_covered != rrset.type ||
      rrsig_rdata.size() < kRrsigFixedFields) {
    return {};
  }
  // RFC 4035 §5.3.2: fewer RRSIG labels than owner labels means wildcard expansion; the
  // signer signed "*." + the rightmost `labels` labels.
  Name owner = rrset.owner.lowercased();
  if (sig.labels < owner_labels) {
    static constexpr uint8_t kStar[] = {'*'};
    // Cannot fail: at least one label of 2+ octets is replaced by the 2-octet "*" label.
    const Name closest = sig.labels == 0 ? Name::root() : owner.suffix(sig.labels);
    owner = *closest.prepend(kStar);
  }

  // RFC 4034 §6.3: sort by canonical RDATA (absence of an octet sorts before a zero octet,
  // which is std::vector's lexicographic order) and drop duplicates.
  std::vector<std::vector<uint8_t>> rdatas;
  rdatas.reserve(rrset.rdatas.size());
  for (const auto& rdata : rrset.rdatas) {
    std::vector<uint8_t> canonical;
    canonical.reserve(rdata.size());
    append_canonical_rdata(rrset.type, rdata, canonical);
    rdatas.push_back(std::move(canonical));
  }
  std::sort(rdatas.begin(), rdatas.end());
  rdatas.erase(std::unique(rdatas.begin(), rdatas.end()), rdatas.end());

  std::vector<uint8_t> out;
  // RRSIG_RDATA without the Signature, Signer's Name lowercased (RFC 6840 §5.1).
  out.insert(out.end(), rrsig_rdata.begin(), rrsig_rdata.begin() + kRrsigFixedFields);
  const Name signer = sig.signer.lowercased();
  out.insert(out.end(), signer.wire().begin(), signer.wire().end());
  for (const auto& rdata : rdatas) {
    out.insert(out.end(), owner.wire().begin(), owner.wire().end());
    put_u16(out, to_u16(rrset.type));
    put_u16(out, to_u16(rrset.klass));
    put_u32(out, sig.original_ttl);
    put_u16(out, static_cast<uint16_t>(rdata.size()));
    out.insert(out.end(), rdata.begin(), rdata.end());
  }
  return out;
}

uint16_t key_tag(std::span<const uint8_t> dnskey_rdata) {
  // Appendix B.1: for algorithm 1 the key tag is the most significant 16 of the least
  // significant 24 bits of the modulus, which ends the RDATA.
  if (dnskey_rdata.size() >= 4 && dnskey_rdata[3] == 1) {
    if (dnskey_rdata.size() <= 4) return 0;
    return load_u16(dnskey_rdata.data() + dnskey_rdata.size() - 3);
  }
  // Appendix B:
  //   for ( ac = 0, i = 0; i < keysize; ++i )
  //           ac += (i & 1) ? key[i] : key[i] << 8;
  //   ac += (ac >> 16) & 0xFFFF;
  //   return ac & 0xFFFF;
  uint64_t ac = 0;
  for (size_t i = 0; i < dnskey_rdata.size(); ++i) {
    ac += (i & 1) ? dnskey_rdata[i] : uint64_t{dnskey_rdata[i]} << 8;
  }
  ac += (ac >> 16) & 0xFFFF;
  return static_cast<uint16_t>(ac & 0xFFFF);
}

std::vector<uint8_t> ds_digest_input(const Name& owner, std::span<const uint8_t> dnskey_rdata) {
  std::vector<uint8_t> out = canonical_name_wire(owner);
  out.insert(out.end(), dnskey_rdata.begin(), dnskey_rdata.end());
  return out;
}

std::vector<uint8_t> canonical_name_wire(const Name& name) {
  const Name lower = name.lowercased();
  return {lower.wire().begin(), lower.wire().end()};
}

}  // namespace dnsp::resolver
