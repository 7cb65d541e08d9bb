#include "resolver/validate/denial_proofs.h"

#include "resolver/validate/nsec.h"

namespace dnsp::resolver {
namespace {

// What the engine concluded about a question of the caller's: each entry point says which
// kinds prove what it asks; OptOut and too many iterations are Insecure for every question.
template <class Proves>
DenialProof judged(DenialResult found, bool out_of_hashes, const Proves& proves) {
  switch (found.kind) {
    case DenialKind::OptOut:
      return {Denied::OptOut, std::move(found), false};
    case DenialKind::UnsupportedIterations:
      return {Denied::IterationsTooHigh, std::move(found), false};
    case DenialKind::NxDomain:
    case DenialKind::NoData:
    case DenialKind::WildcardNoData:
    case DenialKind::NoDs:
    case DenialKind::NotACut:
    case DenialKind::WildcardAnswerOk:
    case DenialKind::NotProven:
      break;
  }
  const Denied denied = proves(found.kind);
  const bool spent = out_of_hashes && found.kind == DenialKind::NotProven;
  return {denied, std::move(found), spent};
}

// The engine's answer for qname/qtype: NSEC when there are NSEC records, else NSEC3.
template <class Proves>
DenialProof run_engine(const DenialRecords& r, const Name& qname, RRType qtype, Nsec3Limits limits,
                       const Proves& proves) {
  if (!r.nsecs.empty()) return judged(prove_nsec(r.nsecs, qname, qtype, r.zone), false, proves);
  if (r.nsec3s.empty()) return judged({DenialKind::NotProven, r.zone, ""}, false, proves);
  DenialResult found = prove_nsec3(r.nsec3s, qname, qtype, r.zone, limits);
  return judged(std::move(found), limits.hashes_used >= limits.max_hash_computations, proves);
}

Denied proven_if(bool yes) { return yes ? Denied::Proven : Denied::NotProven; }

}  // namespace

DenialProof prove_name_error(const DenialRecords& records, const Name& qname, RRType qtype,
                             Nsec3Limits limits) {
  return run_engine(records, qname, qtype, limits,
                    [](DenialKind k) { return proven_if(k == DenialKind::NxDomain); });
}

DenialProof prove_nodata(const DenialRecords& records, const Name& qname, RRType qtype,
                         Nsec3Limits limits) {
  return run_engine(records, qname, qtype, limits, [](DenialKind k) {
    return proven_if(k == DenialKind::NoData || k == DenialKind::WildcardNoData ||
                     k == DenialKind::NoDs || k == DenialKind::NotACut);
  });
}

DenialProof prove_no_ds(const DenialRecords& records, const Name& delegation, Nsec3Limits limits) {
  return run_engine(records, delegation, RRType::DS, limits, [](DenialKind k) {
    switch (k) {
      case DenialKind::NoDs:
        return Denied::Proven;
      case DenialKind::NotACut:
      case DenialKind::NoData:  // the root's DS (no parent): no cut either
        return Denied::NotACut;
      case DenialKind::NxDomain:
        return Denied::NoName;
      case DenialKind::WildcardNoData:
      case DenialKind::OptOut:
      case DenialKind::WildcardAnswerOk:
      case DenialKind::NotProven:
      case DenialKind::UnsupportedIterations:
        break;
    }
    return Denied::NotProven;
  });
}

DenialProof prove_wildcard(const DenialRecords& records, const Name& qname,
                           const Name& closest_encloser, Nsec3Limits limits) {
  const auto proves = [](DenialKind k) { return proven_if(k == DenialKind::WildcardAnswerOk); };
  if (!records.nsecs.empty()) {
    return judged(prove_wildcard_answer_nsec(records.nsecs, qname, closest_encloser, records.zone),
                  false, proves);
  }
  if (records.nsec3s.empty()) {
    return judged({DenialKind::NotProven, records.zone, ""}, false, proves);
  }
  DenialResult found =
      prove_wildcard_answer_nsec3(records.nsec3s, qname, closest_encloser, records.zone, limits);
  return judged(std::move(found), limits.hashes_used >= limits.max_hash_computations, proves);
}

}  // namespace dnsp::resolver
