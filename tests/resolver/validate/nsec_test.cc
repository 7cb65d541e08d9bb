// tests/resolver: NSEC denial of existence (RFC 4035 §5.4, RFC 6840 §4.1, §4.3, §4.4) on the
// NSEC chain of the RFC 4035 Appendix A zone and the responses of its Appendix B, each with
// negative twins that must not prove anything.
#include "resolver/validate/nsec.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tests/resolver/validate/denial_helpers.h"

namespace dnsp::resolver::test {
namespace {

using namespace denial_test;
using T = RRType;

// An NSEC record built from its RDATA, as the validator gets it.
NsecRecord nsec(std::string_view owner, std::string_view next,
                std::initializer_list<RRType> types) {
  const Name next_name = name(next);
  std::vector<uint8_t> rdata(next_name.wire().begin(), next_name.wire().end());
  const std::vector<uint8_t> bits = bitmap(types);
  rdata.insert(rdata.end(), bits.begin(), bits.end());
  auto r = make_nsec_record(name(owner), rdata);
  REQUIRE(r.has_value());
  return *r;
}

// RFC 4035 Appendix A: the example. zone's NSEC chain.
NsecRecord nsec_apex() {
  return nsec("example.", "a.example.", {T::NS, T::SOA, T::MX, T::RRSIG, T::NSEC, T::DNSKEY});
}
NsecRecord nsec_a() { return nsec("a.example.", "ai.example.", {T::NS, T::DS, T::RRSIG, T::NSEC}); }
NsecRecord nsec_ai() {
  return nsec("ai.example.", "b.example.", {T::A, T::HINFO, T::AAAA, T::RRSIG, T::NSEC});
}
NsecRecord nsec_b() { return nsec("b.example.", "ns1.example.", {T::NS, T::RRSIG, T::NSEC}); }
NsecRecord nsec_ns1() { return nsec("ns1.example.", "ns2.example.", {T::A, T::RRSIG, T::NSEC}); }
NsecRecord nsec_ns2() { return nsec("ns2.example.", "*.w.example.", {T::A, T::RRSIG, T::NSEC}); }
NsecRecord nsec_wild_w() {
  return nsec("*.w.example.", "x.w.example.", {T::MX, T::RRSIG, T::NSEC});
}
NsecRecord nsec_x_w() { return nsec("x.w.example.", "x.y.w.example.", {T::MX, T::RRSIG, T::NSEC}); }
NsecRecord nsec_x_y_w() {
  return nsec("x.y.w.example.", "xx.example.", {T::MX, T::RRSIG, T::NSEC});
}
NsecRecord nsec_xx() {
  return nsec("xx.example.", "example.", {T::A, T::HINFO, T::AAAA, T::RRSIG, T::NSEC});
}

// The whole chain, as a response carrying more NSECs than it needs would.
std::vector<NsecRecord> appendix_a() {
  return {nsec_apex(), nsec_a(),      nsec_ai(),  nsec_b(),     nsec_ns1(),
          nsec_ns2(),  nsec_wild_w(), nsec_x_w(), nsec_x_y_w(), nsec_xx()};
}

TEST_CASE("nsec: covers names strictly between owner and next in canonical order") {
  const NsecRecord b = nsec_b();  // b.example. -> ns1.example.
  CHECK(nsec_covers(b, name("ml.example."), zone()));
  CHECK(nsec_covers(b, name("c.example."), zone()));
  CHECK(nsec_covers(b, name("ML.EXAMPLE."), zone()));         // canonical order ignores case
  CHECK(nsec_covers(b, name("x.b.example."), zone()));        // below the owner, before next
  CHECK_FALSE(nsec_covers(b, name("b.example."), zone()));    // the owner exists
  CHECK_FALSE(nsec_covers(b, name("ns1.example."), zone()));  // the next name exists
  CHECK_FALSE(nsec_covers(b, name("a.example."), zone()));
  CHECK_FALSE(nsec_covers(b, name("ns2.example."), zone()));
  CHECK_FALSE(nsec_covers(b, name("ml.example.org."), zone()));  // outside the zone
}

TEST_CASE("nsec: the last NSEC wraps to the apex and covers every name after its owner") {
  const NsecRecord xx = nsec_xx();  // xx.example. -> example.
  CHECK(nsec_covers(xx, name("xy.example."), zone()));
  CHECK(nsec_covers(xx, name("zzz.example."), zone()));
  CHECK(nsec_covers(xx, name("a.xx.example."), zone()));
  CHECK_FALSE(nsec_covers(xx, name("example."), zone()));
  CHECK_FALSE(nsec_covers(xx, name("ai.example."), zone()));
  CHECK_FALSE(nsec_covers(xx, name("zzz.example.org."), zone()));
  // next <= owner is only a wrap when next is the apex.
  CHECK_FALSE(nsec_covers(nsec("xx.example.", "a.example.", {T::A}), name("zzz.example."), zone()));
}

TEST_CASE("nsec: RFC 4035 B.2 name error for ml.example is proven with closest encloser example") {
  const DenialResult r = prove_nsec({nsec_b(), nsec_apex()}, name("ml.example."), T::A, zone());
  expect(r, DenialKind::NxDomain, "example.");
  CHECK(r.detail.find("b.example.") != std::string::npos);
  // The order of the records and the case of qname do not matter.
  expect(prove_nsec({nsec_apex(), nsec_b()}, name("ML.Example."), T::A, zone()),
         DenialKind::NxDomain, "example.");
}

TEST_CASE("nsec: RFC 4035 B.3 no data for ns1.example MX is proven") {
  expect(prove_nsec({nsec_ns1()}, name("ns1.example."), T::MX, zone()), DenialKind::NoData,
         "ns1.example.");
}

TEST_CASE("nsec: RFC 4035 B.4 referral to signed zone a.example has a DS, nothing to deny") {
  // The parent's NSEC at a.example lists DS: the DS RRset exists and is validated instead.
  expect(prove_nsec({nsec_a()}, name("a.example."), T::DS, zone()), DenialKind::NotProven, ".");
  // Nor does that NSEC, owned at the cut, deny anything in the child zone below it.
  expect(prove_nsec({nsec_a(), nsec_apex()}, name("mc.a.example."), T::MX, zone()),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec: RFC 4035 B.5 referral to unsigned zone b.example proves no DS") {
  expect(prove_nsec({nsec_b()}, name("b.example."), T::DS, zone()), DenialKind::NoDs, "b.example.");
}

TEST_CASE("nsec: RFC 4035 B.6 wildcard expansion of a.z.w.example is proven") {
  // The MX RRset's RRSIG has Labels 2: expanded from *.w.example.
  expect(prove_wildcard_answer_nsec({nsec_x_y_w()}, name("a.z.w.example."), name("w.example."),
                                    zone()),
         DenialKind::WildcardAnswerOk, "w.example.");
}

TEST_CASE("nsec: RFC 4035 B.7 wildcard no data for a.z.w.example AAAA is proven") {
  expect(prove_nsec({nsec_x_y_w(), nsec_wild_w()}, name("a.z.w.example."), T::AAAA, zone()),
         DenialKind::WildcardNoData, "w.example.");
}

TEST_CASE("nsec: an empty non-terminal y.w.example has no data and is no zone cut") {
  // x.w.example. -> x.y.w.example.: y.w.example. sorts between and has a descendant.
  expect(prove_nsec({nsec_x_w()}, name("y.w.example."), T::A, zone()), DenialKind::NoData,
         "y.w.example.");
  expect(prove_nsec({nsec_x_w()}, name("y.w.example."), T::DS, zone()), DenialKind::NotACut,
         "y.w.example.");
}

TEST_CASE("nsec: a DS query for a name without NS is no zone cut") {
  expect(prove_nsec({nsec_ns1()}, name("ns1.example."), T::DS, zone()), DenialKind::NotACut,
         "ns1.example.");
}

TEST_CASE("nsec: the whole Appendix A chain gives the same proofs as the records needed") {
  const std::vector<NsecRecord> all = appendix_a();
  expect(prove_nsec(all, name("ml.example."), T::A, zone()), DenialKind::NxDomain, "example.");
  expect(prove_nsec(all, name("ns1.example."), T::MX, zone()), DenialKind::NoData, "ns1.example.");
  expect(prove_nsec(all, name("b.example."), T::DS, zone()), DenialKind::NoDs, "b.example.");
  expect(prove_nsec(all, name("a.z.w.example."), T::AAAA, zone()), DenialKind::WildcardNoData,
         "w.example.");
  expect(prove_wildcard_answer_nsec(all, name("a.z.w.example."), name("w.example."), zone()),
         DenialKind::WildcardAnswerOk, "w.example.");
  // Names sorting after the last NSEC's owner are covered by its wrap to the apex.
  expect(prove_nsec(all, name("zz.example."), T::A, zone()), DenialKind::NxDomain, "example.");
  // ns2.example. -> *.w.example. covers ns3.example.
  expect(prove_nsec(all, name("ns3.example."), T::A, zone()), DenialKind::NxDomain, "example.");
  // ai.example. -> b.example. leaves ai.example as closest encloser of x.ai.example, and
  // no NSEC covers *.ai.example... except that very one: ai.example < *.ai.example < b.example.
  expect(prove_nsec(all, name("x.ai.example."), T::A, zone()), DenialKind::NxDomain, "ai.example.");
}

TEST_CASE("nsec: a wildcard-expanded answer needs the exact name covered") {
  // x.w.example exists: the wildcard cannot have produced an answer for it.
  expect(prove_wildcard_answer_nsec({nsec_x_w(), nsec_wild_w()}, name("x.w.example."),
                                    name("w.example."), zone()),
         DenialKind::NotProven, ".");
  // An NSEC that covers some other name proves nothing.
  expect(prove_wildcard_answer_nsec({nsec_b()}, name("a.z.w.example."), name("w.example."), zone()),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec: a wildcard answer from the wrong closest encloser is not proven") {
  // B.6's NSEC leaves w.example as closest encloser; an RRSIG claiming *.example lies.
  expect(
      prove_wildcard_answer_nsec({nsec_x_y_w()}, name("a.z.w.example."), name("example."), zone()),
      DenialKind::NotProven, ".");
  expect(prove_wildcard_answer_nsec({nsec_x_y_w()}, name("a.z.w.example."), name("a.z.w.example."),
                                    zone()),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec: an NSEC that does not cover qname proves no name error") {
  expect(prove_nsec({nsec_ns1(), nsec_apex()}, name("ml.example."), T::A, zone()),
         DenialKind::NotProven, ".");
  expect(prove_nsec({}, name("ml.example."), T::A, zone()), DenialKind::NotProven, ".");
}

TEST_CASE("nsec: a name error without the wildcard proof is not proven") {
  expect(prove_nsec({nsec_b()}, name("ml.example."), T::A, zone()), DenialKind::NotProven, ".");
}

TEST_CASE("nsec: a wildcard that has the type proves neither name error nor no data") {
  // *.w.example has MX: a.z.w.example MX should have been answered from it.
  expect(prove_nsec({nsec_x_y_w(), nsec_wild_w()}, name("a.z.w.example."), T::MX, zone()),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec: the parent-side NSEC at a delegation proves no data only for DS") {
  // RFC 6840 §4.1: b.example's NSEC (NS, no SOA) says nothing about the child's A RRset...
  expect(prove_nsec({nsec_b()}, name("b.example."), T::A, zone()), DenialKind::NotProven, ".");
  // ...nor about names below the cut, which it would otherwise cover.
  const DenialResult below =
      prove_nsec({nsec_b(), nsec_apex()}, name("mc.b.example."), T::A, zone());
  expect(below, DenialKind::NotProven, ".");
  CHECK(below.detail.find("zone cut") != std::string::npos);
}

TEST_CASE("nsec: the apex NSEC cannot deny DS") {
  // RFC 6840 §4.4: SOA set means the child side of the cut; the DS lives in the parent.
  expect(prove_nsec({nsec_apex()}, name("example."), T::DS, zone()), DenialKind::NotProven, ".");
  // It does prove no data for other types at the apex.
  expect(prove_nsec({nsec_apex()}, name("example."), T::AAAA, zone()), DenialKind::NoData,
         "example.");
}

TEST_CASE("nsec: an NSEC listing the qtype or a CNAME proves no NODATA") {
  expect(prove_nsec({nsec_ns1()}, name("ns1.example."), T::A, zone()), DenialKind::NotProven, ".");
  // RFC 6840 §4.3: a CNAME at qname would have been followed.
  const NsecRecord cname = nsec("c.example.", "d.example.", {T::CNAME, T::RRSIG, T::NSEC});
  expect(prove_nsec({cname}, name("c.example."), T::TXT, zone()), DenialKind::NotProven, ".");
}

TEST_CASE("nsec: an NSEC owned at a DNAME proves nothing below it") {
  const NsecRecord dname = nsec("d.example.", "e.example.", {T::DNAME, T::RRSIG, T::NSEC});
  expect(prove_nsec({dname, nsec_apex()}, name("x.d.example."), T::A, zone()),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec: a name outside the zone is not proven") {
  expect(prove_nsec({nsec_b(), nsec_apex()}, name("ml.example.org."), T::A, zone()),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec: make_nsec_record copies next name and bit map and rejects bad RDATA") {
  // RFC 4035 App. A: example. NSEC a.example. NS SOA MX RRSIG NSEC DNSKEY
  const std::vector<uint8_t> rdata = {0x01, 'a',  0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                      0x00, 0x00, 0x07, 0x22, 0x01, 0x00, 0x00, 0x00, 0x03, 0x80};
  auto r = make_nsec_record(name("example."), rdata);
  REQUIRE(r.has_value());
  CHECK(r->next.to_string() == "a.example.");
  CHECK(r->type_bitmap == bitmap({T::NS, T::SOA, T::MX, T::RRSIG, T::NSEC, T::DNSKEY}));
  const std::vector<uint8_t> truncated(rdata.begin(), rdata.begin() + 5);
  CHECK_FALSE(make_nsec_record(name("example."), truncated).has_value());
}

}  // namespace
}  // namespace dnsp::resolver::test
