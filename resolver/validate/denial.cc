#include "resolver/validate/denial.h"

#include <utility>

#include "resolver/wire/rdata.h"

namespace dnsp::resolver {

NodataRule nodata_rule(std::span<const uint8_t> type_bitmap, const Name& qname, RRType qtype) {
  const TypeBitmap t{type_bitmap};
  if (qtype == RRType::DS && !qname.is_root()) {
    if (t.contains(RRType::SOA)) return NodataRule::ChildApex;
    if (t.contains(RRType::DS)) return NodataRule::HasDs;
    if (t.contains(RRType::CNAME)) return NodataRule::HasCname;
    return t.contains(RRType::NS) ? NodataRule::NoDs : NodataRule::NotACut;
  }
  if (t.contains(qtype)) return NodataRule::HasType;
  if (t.contains(RRType::CNAME)) return NodataRule::HasCname;
  if (t.contains(RRType::NS) && !t.contains(RRType::SOA)) return NodataRule::ParentSide;
  return NodataRule::NoData;
}

DenialKind nodata_kind(NodataRule rule) {
  switch (rule) {
    case NodataRule::NoData:
      return DenialKind::NoData;
    case NodataRule::NoDs:
      return DenialKind::NoDs;
    case NodataRule::NotACut:
      return DenialKind::NotACut;
    case NodataRule::ChildApex:
    case NodataRule::HasDs:
    case NodataRule::HasCname:
    case NodataRule::HasType:
    case NodataRule::ParentSide:
      return DenialKind::NotProven;
  }
  return DenialKind::NotProven;
}

DenialResult nodata_result(NodataRule rule, const Name& qname, RRType qtype, std::string what,
                           RecordWords words) {
  std::string detail = std::move(what);
  detail += words.joint;
  switch (rule) {
    case NodataRule::NoData:
      detail += " lacks " + to_string(qtype) + " and CNAME";
      break;
    case NodataRule::NoDs:
      detail += " lists NS without DS: insecure delegation";
      break;
    case NodataRule::NotACut:
      detail += " lists neither NS nor SOA: no zone cut";
      break;
    case NodataRule::ChildApex:
      detail += " is the child zone's apex " + std::string(words.record) +
                " (SOA set): it cannot deny DS";
      break;
    case NodataRule::HasDs:
      detail += " lists DS: the DS RRset exists";
      break;
    case NodataRule::HasCname:
      detail += " lists CNAME";
      break;
    case NodataRule::HasType:
      detail += " lists " + to_string(qtype);
      break;
    case NodataRule::ParentSide:
      detail += " is the parent side of a zone cut (NS without SOA): it proves nothing about " +
                to_string(qtype);
      break;
  }
  const DenialKind kind = nodata_kind(rule);
  return {kind, kind == DenialKind::NotProven ? Name::root() : qname, std::move(detail)};
}

}  // namespace dnsp::resolver
