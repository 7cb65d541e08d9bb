#include "resolver/rdata.h"

#include "resolver/wire_reader.h"

namespace dnsp::resolver {
namespace {

// The layout of RDATA fields that matter for decompression.
enum class Field : uint8_t { Name, U16, U32, Bytes20, CharString, Rest };

struct Layout {
  RRType type;
  Field fields[6];
  uint8_t count;
};

constexpr Layout kLayouts[] = {
    {RRType::NS, {Field::Name}, 1},
    {RRType::MD, {Field::Name}, 1},
    {RRType::MF, {Field::Name}, 1},
    {RRType::CNAME, {Field::Name}, 1},
    {RRType::MB, {Field::Name}, 1},
    {RRType::MG, {Field::Name}, 1},
    {RRType::MR, {Field::Name}, 1},
    {RRType::PTR, {Field::Name}, 1},
    {RRType::DNAME, {Field::Name}, 1},
    {RRType::SOA, {Field::Name, Field::Name, Field::Bytes20}, 3},
    {RRType::MINFO, {Field::Name, Field::Name}, 2},
    {RRType::RP, {Field::Name, Field::Name}, 2},
    {RRType::MX, {Field::U16, Field::Name}, 2},
    {RRType::AFSDB, {Field::U16, Field::Name}, 2},
    {static_cast<RRType>(21) /* RT */, {Field::U16, Field::Name}, 2},
    {RRType::KX, {Field::U16, Field::Name}, 2},
    {RRType::PX, {Field::U16, Field::Name, Field::Name}, 3},
    {RRType::SRV, {Field::U16, Field::U16, Field::U16, Field::Name}, 4},
    {RRType::NAPTR,
     {Field::U16, Field::U16, Field::CharString, Field::CharString, Field::CharString, Field::Name},
     6},
    // RRSIG/SIG: type covered .. key tag = 18 octets, then signer, then signature.
    {RRType::RRSIG, {Field::U16, Field::U16, Field::U32, Field::U32, Field::U32, Field::U16}, 6},
    {RRType::SIG, {Field::U16, Field::U16, Field::U32, Field::U32, Field::U32, Field::U16}, 6},
    {RRType::NSEC, {Field::Name, Field::Rest}, 2},
    {RRType::NXT, {Field::Name, Field::Rest}, 2},
};

}  // namespace

WireResult<bool> expand_rdata(const Message& msg, const RecordView& rr, std::vector<uint8_t>& out) {
  const auto packet = msg.packet();
  const Layout* layout = nullptr;
  for (const auto& l : kLayouts) {
    if (l.type == rr.type) layout = &l;
  }
  const size_t begin = rr.rdata_offset;
  const size_t end = begin + rr.rdata_length;
  if (layout == nullptr) {
    out.insert(out.end(), packet.begin() + begin, packet.begin() + end);
    return true;
  }
  WireReader r(packet, begin, end);
  for (uint8_t i = 0; i < layout->count; ++i) {
    switch (layout->fields[i]) {
      case Field::Name: {
        auto n = r.name();
        if (!n) return unexpected(WireError::BadRdata);
        out.insert(out.end(), n->wire().begin(), n->wire().end());
        break;
      }
      case Field::U16: {
        auto v = r.bytes(2);
        if (!v) return unexpected(WireError::BadRdata);
        out.insert(out.end(), v->begin(), v->end());
        break;
      }
      case Field::U32: {
        auto v = r.bytes(4);
        if (!v) return unexpected(WireError::BadRdata);
        out.insert(out.end(), v->begin(), v->end());
        break;
      }
      case Field::Bytes20: {
        auto v = r.bytes(20);
        if (!v) return unexpected(WireError::BadRdata);
        out.insert(out.end(), v->begin(), v->end());
        break;
      }
      case Field::CharString: {
        auto len = r.u8();
        if (!len) return unexpected(WireError::BadRdata);
        auto v = r.bytes(*len);
        if (!v) return unexpected(WireError::BadRdata);
        out.push_back(*len);
        out.insert(out.end(), v->begin(), v->end());
        break;
      }
      case Field::Rest:
        break;
    }
  }
  // RRSIG/SIG: the signer name follows the fixed 18 octets; the rest is the signature.
  if (rr.type == RRType::RRSIG || rr.type == RRType::SIG) {
    auto signer = r.name();
    if (!signer) return unexpected(WireError::BadRdata);
    out.insert(out.end(), signer->wire().begin(), signer->wire().end());
  }
  // Whatever follows the named fields (bit maps, signatures) is copied as it is.
  auto rest = r.bytes(r.remaining());
  out.insert(out.end(), rest->begin(), rest->end());
  if (layout->fields[layout->count - 1] != Field::Rest && rr.type != RRType::RRSIG &&
      rr.type != RRType::SIG && !rest->empty()) {
    return unexpected(WireError::BadRdata);  // octets after the last field
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
