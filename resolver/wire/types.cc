#include "resolver/wire/types.h"

#include <array>
#include <charconv>
#include <utility>

#include "resolver/wire/ascii.h"

namespace dnsp::resolver {
namespace {

constexpr std::array<std::pair<RRType, std::string_view>, 43> kTypeNames{{
    {RRType::A, "A"},         {RRType::NS, "NS"},
    {RRType::MD, "MD"},       {RRType::MF, "MF"},
    {RRType::CNAME, "CNAME"}, {RRType::SOA, "SOA"},
    {RRType::MB, "MB"},       {RRType::MG, "MG"},
    {RRType::MR, "MR"},       {RRType::NULL_, "NULL"},
    {RRType::WKS, "WKS"},     {RRType::PTR, "PTR"},
    {RRType::HINFO, "HINFO"}, {RRType::MINFO, "MINFO"},
    {RRType::MX, "MX"},       {RRType::TXT, "TXT"},
    {RRType::RP, "RP"},       {RRType::AFSDB, "AFSDB"},
    {RRType::SIG, "SIG"},     {RRType::KEY, "KEY"},
    {RRType::PX, "PX"},       {RRType::AAAA, "AAAA"},
    {RRType::NXT, "NXT"},     {RRType::SRV, "SRV"},
    {RRType::NAPTR, "NAPTR"}, {RRType::KX, "KX"},
    {RRType::DNAME, "DNAME"}, {RRType::OPT, "OPT"},
    {RRType::DS, "DS"},       {RRType::RRSIG, "RRSIG"},
    {RRType::NSEC, "NSEC"},   {RRType::DNSKEY, "DNSKEY"},
    {RRType::NSEC3, "NSEC3"}, {RRType::NSEC3PARAM, "NSEC3PARAM"},
    {RRType::CDS, "CDS"},     {RRType::CDNSKEY, "CDNSKEY"},
    {RRType::SVCB, "SVCB"},   {RRType::HTTPS, "HTTPS"},
    {RRType::IXFR, "IXFR"},   {RRType::AXFR, "AXFR"},
    {RRType::MAILB, "MAILB"}, {RRType::MAILA, "MAILA"},
    {RRType::ANY, "ANY"},
}};

}  // namespace

bool is_meta_type(RRType t) {
  const uint16_t v = to_u16(t);
  // RFC 6895 §3.1: 128-255 are QTYPEs and meta-types; OPT (41) is a meta-RR.
  return t == RRType::OPT || (v >= 128 && v <= 255);
}

std::string to_string(RRType t) {
  for (const auto& [type, name] : kTypeNames) {
    if (type == t) return std::string(name);
  }
  return "TYPE" + std::to_string(to_u16(t));
}

std::optional<RRType> parse_rr_type(std::string_view text) {
  for (const auto& [type, name] : kTypeNames) {
    if (ascii_iequals(text, name)) return type;
  }
  if (text.size() > 4 && ascii_iequals(text.substr(0, 4), "TYPE")) {
    unsigned v = 0;
    const auto digits = text.substr(4);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && v <= 0xFFFF) {
      return static_cast<RRType>(v);
    }
  }
  return std::nullopt;
}

std::string to_string(RCode r) {
  switch (r) {
    case RCode::NoError:
      return "NOERROR";
    case RCode::FormErr:
      return "FORMERR";
    case RCode::ServFail:
      return "SERVFAIL";
    case RCode::NXDomain:
      return "NXDOMAIN";
    case RCode::NotImp:
      return "NOTIMP";
    case RCode::Refused:
      return "REFUSED";
    case RCode::YXDomain:
      return "YXDOMAIN";
    case RCode::YXRRSet:
      return "YXRRSET";
    case RCode::NXRRSet:
      return "NXRRSET";
    case RCode::NotAuth:
      return "NOTAUTH";
    case RCode::NotZone:
      return "NOTZONE";
    case RCode::BadVers:
      return "BADVERS";
  }
  return "RCODE" + std::to_string(static_cast<uint16_t>(r));
}

std::string to_string(RRClass c) {
  switch (c) {
    case RRClass::IN:
      return "IN";
    case RRClass::CH:
      return "CH";
    case RRClass::HS:
      return "HS";
    case RRClass::NONE:
      return "NONE";
    case RRClass::ANY:
      return "ANY";
  }
  return "CLASS" + std::to_string(to_u16(c));
}

}  // namespace dnsp::resolver
