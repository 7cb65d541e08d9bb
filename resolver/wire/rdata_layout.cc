#include "resolver/wire/rdata_layout.h"

namespace dnsp::resolver {
namespace {

constexpr RdataPart kName{RdataField::Name};
constexpr RdataPart kCharString{RdataField::CharString};
constexpr RdataPart kRest{RdataField::Rest};
constexpr RdataPart fixed(uint8_t size) { return {RdataField::Fixed, size}; }
constexpr bool kYes = true;
constexpr bool kNo = false;

// Each entry: type, fields, number of fields, decompress, lowercase (see rdata_layout.h).
constexpr RdataLayout kLayouts[] = {
    {RRType::NS, {kName}, 1, kYes, kYes},
    {RRType::MD, {kName}, 1, kYes, kYes},
    {RRType::MF, {kName}, 1, kYes, kYes},
    {RRType::CNAME, {kName}, 1, kYes, kYes},
    {RRType::SOA, {kName, kName, fixed(20)}, 3, kYes, kYes},  // serial .. minimum
    {RRType::MB, {kName}, 1, kYes, kYes},
    {RRType::MG, {kName}, 1, kYes, kYes},
    {RRType::MR, {kName}, 1, kYes, kYes},
    {RRType::PTR, {kName}, 1, kYes, kYes},
    {RRType::MINFO, {kName, kName}, 2, kYes, kYes},
    {RRType::MX, {fixed(2), kName}, 2, kYes, kYes},
    {RRType::RP, {kName, kName}, 2, kYes, kYes},
    {RRType::AFSDB, {fixed(2), kName}, 2, kYes, kYes},
    {static_cast<RRType>(21) /* RT, RFC 1183 §3.3 */, {fixed(2), kName}, 2, kYes, kYes},
    // SIG (RFC 2535 §4.1) and RRSIG (RFC 4034 §3.1): type covered .. key tag = 18 octets,
    // the signer's name, the signature.
    {RRType::SIG, {fixed(18), kName, kRest}, 3, kYes, kYes},
    {RRType::PX, {fixed(2), kName, kName}, 3, kYes, kYes},
    {RRType::NXT, {kName, kRest}, 2, kYes, kYes},
    {RRType::NAPTR, {fixed(4), kCharString, kCharString, kCharString, kName}, 5, kYes, kYes},
    {RRType::KX, {fixed(2), kName}, 2, kYes, kYes},
    {RRType::SRV, {fixed(6), kName}, 2, kYes, kYes},
    {RRType::DNAME, {kName}, 1, kYes, kYes},
    {static_cast<RRType>(38) /* A6, RFC 2874 §3.1 */, {{RdataField::A6}}, 1, kNo, kYes},
    {RRType::RRSIG, {fixed(18), kName, kRest}, 3, kYes, kYes},
    {RRType::NSEC, {kName, kRest}, 2, kYes, kNo},  // RFC 6840 §5.1
};

}  // namespace

const RdataLayout* rdata_layout(RRType type) {
  for (const auto& l : kLayouts) {
    if (l.type == type) return &l;
  }
  return nullptr;
}

}  // namespace dnsp::resolver
