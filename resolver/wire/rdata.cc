#include "resolver/wire/rdata.h"

#include "resolver/wire/rdata_layout.h"
#include "resolver/wire/wire_reader.h"

namespace dnsp::resolver {

WireResult<bool> expand_rdata(const Message& msg, const RecordView& rr, std::vector<uint8_t>& out) {
  const auto packet = msg.packet();
  const RdataLayout* layout = rdata_layout(rr.type);
  const size_t begin = rr.rdata_offset;
  const size_t end = begin + rr.rdata_length;
  if (layout == nullptr || !layout->decompress) {
    out.insert(out.end(), packet.begin() + begin, packet.begin() + end);
    return true;
  }
  WireReader r(packet, begin, end);
  for (uint8_t i = 0; i < layout->count; ++i) {
    const RdataPart& part = layout->parts[i];
    switch (part.kind) {
      case RdataField::Name: {
        auto n = r.name();
        if (!n) return unexpected(WireError::BadRdata);
        out.insert(out.end(), n->wire().begin(), n->wire().end());
        break;
      }
      case RdataField::Fixed: {
        auto v = r.bytes(part.size);
        if (!v) return unexpected(WireError::BadRdata);
        out.insert(out.end(), v->begin(), v->end());
        break;
      }
      case RdataField::CharString: {
        auto len = r.u8();
        if (!len) return unexpected(WireError::BadRdata);
        auto v = r.bytes(*len);
        if (!v) return unexpected(WireError::BadRdata);
        out.push_back(*len);
        out.insert(out.end(), v->begin(), v->end());
        break;
      }
      case RdataField::A6:  // never decompressed (see rdata_layout.h)
      case RdataField::Rest:
        break;
    }
  }
  // Whatever follows the named fields (bit maps, signatures) is copied as it is; after a
  // last field that is not Rest there must be nothing.
  auto rest = r.bytes(r.remaining());
  out.insert(out.end(), rest->begin(), rest->end());
  if (layout->parts[layout->count - 1].kind != RdataField::Rest && !rest->empty()) {
    return unexpected(WireError::BadRdata);
  }
  return true;
}

bool TypeBitmap::contains(RRType t) const {
  const uint16_t v = to_u16(t);
  const uint8_t window = static_cast<uint8_t>(v >> 8);
  const uint8_t bit = static_cast<uint8_t>(v & 0xFF);
  size_t pos = 0;
  while (pos + 2 <= raw.size()) {
    const uint8_t w = raw[pos];
    const uint8_t len = raw[pos + 1];
    if (pos + 2 + len > raw.size()) return false;
    if (w == window) {
      const size_t byte = bit / 8;
      return byte < len && (raw[pos + 2 + byte] & (0x80 >> (bit % 8))) != 0;
    }
    pos += 2 + len;
  }
  return false;
}

bool type_bitmap_valid(std::span<const uint8_t> raw) {
  size_t pos = 0;
  int last_window = -1;
  while (pos < raw.size()) {
    if (pos + 2 > raw.size()) return false;
    const uint8_t w = raw[pos];
    const uint8_t len = raw[pos + 1];
    if (static_cast<int>(w) <= last_window || len == 0 || len > 32) return false;
    if (pos + 2 + len > raw.size()) return false;
    last_window = w;
    pos += 2 + len;
  }
  return true;
}

WireResult<SoaRdata> parse_soa(std::span<const uint8_t> rdata) {
  WireReader r(rdata);
  SoaRdata s{};
  auto mname = r.name();
  if (!mname) return unexpected(WireError::BadRdata);
  auto rname = r.name();
  if (!rname) return unexpected(WireError::BadRdata);
  s.mname = *mname;
  s.rname = *rname;
  if (r.remaining() != 20) return unexpected(WireError::BadRdata);
  s.serial = *r.u32();
  s.refresh = *r.u32();
  s.retry = *r.u32();
  s.expire = *r.u32();
  s.minimum = *r.u32();
  return s;
}

WireResult<Name> parse_single_name(std::span<const uint8_t> rdata) {
  return Name::from_wire(rdata);
}

WireResult<DsRdata> parse_ds(std::span<const uint8_t> rdata) {
  if (rdata.size() < 5) return unexpected(WireError::BadRdata);
  return DsRdata{load_u16(rdata.data()), rdata[2], rdata[3], rdata.subspan(4)};
}

WireResult<DnskeyRdata> parse_dnskey(std::span<const uint8_t> rdata) {
  if (rdata.size() < 5) return unexpected(WireError::BadRdata);
  return DnskeyRdata{load_u16(rdata.data()), rdata[2], rdata[3], rdata.subspan(4)};
}

WireResult<RrsigRdata> parse_rrsig(std::span<const uint8_t> rdata) {
  WireReader r(rdata);
  if (rdata.size() < 18 + 1) return unexpected(WireError::BadRdata);
  RrsigRdata s{};
  s.type_covered = static_cast<RRType>(*r.u16());
  s.algorithm = *r.u8();
  s.labels = *r.u8();
  s.original_ttl = *r.u32();
  s.expiration = *r.u32();
  s.inception = *r.u32();
  s.key_tag = *r.u16();
  auto signer = r.name();
  if (!signer) return unexpected(WireError::BadRdata);
  s.signer = *signer;
  s.signed_prefix_length = r.pos();
  s.signature = *r.bytes(r.remaining());
  if (s.signature.empty()) return unexpected(WireError::BadRdata);
  return s;
}

WireResult<NsecRdata> parse_nsec(std::span<const uint8_t> rdata) {
  WireReader r(rdata);
  auto next = r.name();
  if (!next) return unexpected(WireError::BadRdata);
  auto rest = *r.bytes(r.remaining());
  if (!type_bitmap_valid(rest)) return unexpected(WireError::BadRdata);
  return NsecRdata{*next, TypeBitmap{rest}};
}

WireResult<Nsec3Rdata> parse_nsec3(std::span<const uint8_t> rdata) {
  WireReader r(rdata);
  Nsec3Rdata s{};
  auto alg = r.u8();
  auto flags = r.u8();
  auto iterations = r.u16();
  auto salt_len = r.u8();
  if (!salt_len) return unexpected(WireError::BadRdata);
  auto salt = r.bytes(*salt_len);
  if (!salt) return unexpected(WireError::BadRdata);
  auto hash_len = r.u8();
  if (!hash_len || *hash_len == 0) return unexpected(WireError::BadRdata);
  auto next = r.bytes(*hash_len);
  if (!next) return unexpected(WireError::BadRdata);
  auto rest = *r.bytes(r.remaining());
  if (!type_bitmap_valid(rest)) return unexpected(WireError::BadRdata);
  s.hash_algorithm = *alg;
  s.flags = *flags;
  s.iterations = *iterations;
  s.salt = *salt;
  s.next_hashed = *next;
  s.types = TypeBitmap{rest};
  return s;
}

WireResult<Nsec3ParamRdata> parse_nsec3param(std::span<const uint8_t> rdata) {
  WireReader r(rdata);
  auto alg = r.u8();
  auto flags = r.u8();
  auto iterations = r.u16();
  auto salt_len = r.u8();
  // A failed ITERATIONS read leaves one octet, which the salt length would take.
  if (!iterations || !salt_len) return unexpected(WireError::BadRdata);
  auto salt = r.bytes(*salt_len);
  if (!salt || !r.at_end()) return unexpected(WireError::BadRdata);
  return Nsec3ParamRdata{*alg, *flags, *iterations, *salt};
}

}  // namespace dnsp::resolver
