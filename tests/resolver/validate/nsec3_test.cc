// tests/resolver: NSEC3 denial of existence (RFC 5155 §8, RFC 6840 §4.1 and §4.4, RFC 9276)
// on the NSEC3 chain of the RFC 5155 Appendix A zone (salt AABBCCDD, 12 iterations, Opt-Out
// set on every record) and the responses of its Appendix B, with negative twins and the
// iteration and hash-count limits.
#include "resolver/validate/nsec3.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/base32hex.h"
#include "tests/resolver/validate/denial_helpers.h"

namespace dnsp::resolver::test {
namespace {

using namespace denial_test;
using T = RRType;

std::vector<uint8_t> hex(std::string_view text) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::vector<uint8_t> b32(std::string_view label) {
  auto decoded = crypto::base32hex_decode(label);
  REQUIRE_MESSAGE(decoded.has_value(), "bad base32hex in test: " << std::string(label));
  return *decoded;
}

struct Params {
  uint8_t algorithm = 1;
  uint8_t flags = 1;  // Appendix A sets Opt-Out on every NSEC3
  uint16_t iterations = 12;
  std::string_view salt = "aabbccdd";
};

// An NSEC3 record <owner_label>.<zone> built from its RDATA (RFC 5155 §3.2).
Nsec3Record nsec3(std::string_view owner_label, std::string_view next_label,
                  std::initializer_list<RRType> types, Params p = {},
                  std::string_view zone_text = "example.") {
  const std::vector<uint8_t> salt = hex(p.salt);
  const std::vector<uint8_t> next = b32(next_label);
  std::vector<uint8_t> rdata = {p.algorithm, p.flags, static_cast<uint8_t>(p.iterations >> 8),
                                static_cast<uint8_t>(p.iterations & 0xFF),
                                static_cast<uint8_t>(salt.size())};
  rdata.insert(rdata.end(), salt.begin(), salt.end());
  rdata.push_back(static_cast<uint8_t>(next.size()));
  rdata.insert(rdata.end(), next.begin(), next.end());
  const std::vector<uint8_t> bits = bitmap(types);
  rdata.insert(rdata.end(), bits.begin(), bits.end());
  auto r = make_nsec3_record(name(std::string(owner_label) + "." + std::string(zone_text)), rdata);
  REQUIRE(r.has_value());
  return *r;
}

// RFC 5155 Appendix A: the example. zone's NSEC3 chain, in hash order.
std::vector<Nsec3Record> appendix_a() {
  return {
      nsec3("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
            {T::MX, T::DNSKEY, T::NS, T::SOA, T::NSEC3PARAM, T::RRSIG}),  // example.
      nsec3("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s",
            {T::A, T::RRSIG}),  // ns1.example.
      nsec3("2vptu5timamqttgl4luu9kg21e0aor3s", "35mthgpgcu1qg68fab165klnsnk3dpvl",
            {T::MX, T::RRSIG}),  // x.y.w.example.
      nsec3("35mthgpgcu1qg68fab165klnsnk3dpvl", "b4um86eghhds6nea196smvmlo4ors995",
            {T::NS, T::DS, T::RRSIG}),  // a.example. (a signed delegation)
      nsec3("b4um86eghhds6nea196smvmlo4ors995", "gjeqe526plbf1g8mklp59enfd789njgi",
            {T::MX, T::RRSIG}),  // x.w.example.
      nsec3("gjeqe526plbf1g8mklp59enfd789njgi", "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
            {T::A, T::HINFO, T::AAAA, T::RRSIG}),  // ai.example.
      nsec3("ji6neoaepv8b5o6k4ev33abha8ht9fgc", "k8udemvp1j2f7eg6jebps17vp3n8i58h",
            {}),  // y.w.example. (empty non-terminal)
      nsec3("k8udemvp1j2f7eg6jebps17vp3n8i58h", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
            {}),  // w.example. (empty non-terminal)
      nsec3("kohar7mbb8dc2ce8a9qvl8hon4k53uhi", "q04jkcevqvmu85r014c7dkba38o0ji5r",
            {T::A, T::RRSIG}),  // 2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.
      nsec3("q04jkcevqvmu85r014c7dkba38o0ji5r", "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
            {T::A, T::RRSIG}),  // ns2.example.
      nsec3("r53bq7cc2uvmubfu5ocmm6pers9tk9en", "t644ebqk9bibcna874givr6joj62mlhv",
            {T::MX, T::RRSIG}),  // *.w.example.
      nsec3("t644ebqk9bibcna874givr6joj62mlhv", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
            {T::A, T::HINFO, T::AAAA, T::RRSIG}),  // xx.example.
  };
}

// The Appendix A record whose owner label starts with `prefix`.
Nsec3Record rec(std::string_view prefix) {
  for (const Nsec3Record& r : appendix_a()) {
    if (r.owner.to_string().starts_with(prefix)) return r;
  }
  FAIL("no Appendix A NSEC3 owned by " << std::string(prefix));
  return {};
}

// The same records with the Opt-Out flag cleared: hashes and chain are unchanged, so every
// proof that Opt-Out made Insecure becomes Secure.
std::vector<Nsec3Record> without_opt_out(std::vector<Nsec3Record> records) {
  for (Nsec3Record& r : records) r.flags = 0;
  return records;
}

DenialResult prove(const std::vector<Nsec3Record>& records, std::string_view qname, RRType qtype) {
  Nsec3Limits limits;
  return prove_nsec3(records, name(qname), qtype, zone(), limits);
}

TEST_CASE("nsec3: hash labels match RFC 5155 Appendix A") {
  const std::vector<uint8_t> salt = hex("aabbccdd");
  CHECK(nsec3_hash_label(name("example."), salt, 12) == "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
  CHECK(nsec3_hash_label(name("a.example."), salt, 12) == "35mthgpgcu1qg68fab165klnsnk3dpvl");
  CHECK(nsec3_hash_label(name("ns1.example."), salt, 12) == "2t7b4g4vsa5smi47k61mv5bv1a22bojr");
  CHECK(nsec3_hash_label(name("*.w.example."), salt, 12) == "r53bq7cc2uvmubfu5ocmm6pers9tk9en");
  CHECK(nsec3_hash_label(name("x.y.w.example."), salt, 12) == "2vptu5timamqttgl4luu9kg21e0aor3s");
  CHECK(nsec3_hash_label(name("2t7b4g4vsa5smi47k61mv5bv1a22bojr.example."), salt, 12) ==
        "kohar7mbb8dc2ce8a9qvl8hon4k53uhi");
  // The hash input is the canonical (lowercased) name.
  CHECK(nsec3_hash_label(name("X.W.Example."), salt, 12) == "b4um86eghhds6nea196smvmlo4ors995");
}

TEST_CASE("nsec3: the Appendix A chain is in hash order and wraps to its first record") {
  const std::vector<Nsec3Record> chain = appendix_a();
  for (size_t i = 0; i < chain.size(); ++i) {
    const Nsec3Record& next = chain[(i + 1) % chain.size()];
    CAPTURE(chain[i].owner.to_string());
    CHECK(crypto::base32hex_encode(chain[i].next_hashed) + ".example." == next.owner.to_string());
  }
}

TEST_CASE("nsec3: RFC 5155 B.1 name error for a.c.x.w.example is Opt-Out as published") {
  // 0p9m covers the next closer c.x.w.example, b4um matches the closest encloser
  // x.w.example, 35mt covers *.x.w.example. The covering record has Opt-Out: Insecure.
  Nsec3Limits limits;
  const DenialResult r = prove_nsec3({rec("0p9m"), rec("b4um"), rec("35mt")},
                                     name("a.c.x.w.example."), T::A, zone(), limits);
  expect(r, DenialKind::OptOut, "x.w.example.");
  CHECK(limits.hashes_used == 4);  // qname, c.x.w, x.w and *.x.w
}

TEST_CASE("nsec3: RFC 5155 B.1 name error without Opt-Out is proven secure") {
  expect(prove(without_opt_out({rec("0p9m"), rec("b4um"), rec("35mt")}), "a.c.x.w.example.", T::A),
         DenialKind::NxDomain, "x.w.example.");
}

TEST_CASE("nsec3: RFC 5155 B.2 no data for ns1.example MX is proven") {
  expect(prove({rec("2t7b")}, "ns1.example.", T::MX), DenialKind::NoData, "ns1.example.");
}

TEST_CASE("nsec3: RFC 5155 B.2.1 no data for empty non-terminal y.w.example A is proven") {
  expect(prove({rec("ji6n")}, "y.w.example.", T::A), DenialKind::NoData, "y.w.example.");
  expect(prove({rec("ji6n")}, "y.w.example.", T::DS), DenialKind::NotACut, "y.w.example.");
}

TEST_CASE("nsec3: RFC 5155 B.3 referral to Opt-Out unsigned zone c.example proves no DS") {
  // 0p9m matches the closest provable encloser example, 35mt (Opt-Out) covers the next
  // closer c.example: an unsigned delegation (§8.6).
  expect(prove({rec("35mt"), rec("0p9m")}, "c.example.", T::DS), DenialKind::OptOut, "example.");
  // The same for the referral's qname below the cut.
  expect(prove({rec("35mt"), rec("0p9m")}, "mc.c.example.", T::DS), DenialKind::OptOut, "example.");
}

TEST_CASE("nsec3: without Opt-Out the B.3 records prove no insecure delegation") {
  // The span then says c.example does not exist, which needs the wildcard proof too.
  expect(prove(without_opt_out({rec("35mt"), rec("0p9m")}), "c.example.", T::DS),
         DenialKind::NotProven, ".");
  // gjeq covers H(*.example) = jhsv97ro...: now c.example is proven absent.
  expect(prove(without_opt_out({rec("35mt"), rec("0p9m"), rec("gjeq")}), "c.example.", T::DS),
         DenialKind::NxDomain, "example.");
}

TEST_CASE("nsec3: RFC 5155 B.4 wildcard expansion of a.z.w.example is Opt-Out as published") {
  // The RRSIG Labels field (2) names the closest encloser w.example; q04j covers the next
  // closer z.w.example, with Opt-Out.
  Nsec3Limits limits;
  expect(prove_wildcard_answer_nsec3({rec("q04j")}, name("a.z.w.example."), name("w.example."),
                                     zone(), limits),
         DenialKind::OptOut, "w.example.");
  CHECK(limits.hashes_used == 1);
}

TEST_CASE("nsec3: RFC 5155 B.4 wildcard expansion without Opt-Out is proven") {
  Nsec3Limits limits;
  expect(prove_wildcard_answer_nsec3(without_opt_out({rec("q04j")}), name("a.z.w.example."),
                                     name("w.example."), zone(), limits),
         DenialKind::WildcardAnswerOk, "w.example.");
}

TEST_CASE("nsec3: RFC 5155 B.5 wildcard no data for a.z.w.example AAAA") {
  // k8ud matches the closest encloser w.example, q04j covers z.w.example, r53b matches
  // *.w.example, which has MX only.
  const std::vector<Nsec3Record> records = {rec("k8ud"), rec("q04j"), rec("r53b")};
  expect(prove(records, "a.z.w.example.", T::AAAA), DenialKind::OptOut, "w.example.");
  expect(prove(without_opt_out(records), "a.z.w.example.", T::AAAA), DenialKind::WildcardNoData,
         "w.example.");
  // *.w.example has MX: a.z.w.example MX should have been an expanded answer.
  expect(prove(without_opt_out(records), "a.z.w.example.", T::MX), DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: RFC 5155 B.6 the child's apex NSEC3 cannot deny DS for example") {
  // 0p9m matches example with DS clear, but it has SOA: it is the child side of the cut,
  // and RFC 6840 §4.4 needs the parent's record to prove an insecure delegation.
  expect(prove({rec("0p9m")}, "example.", T::DS), DenialKind::NotProven, ".");
  // For a type the apex really lacks, the same record proves no data.
  expect(prove({rec("0p9m")}, "example.", T::AAAA), DenialKind::NoData, "example.");
}

TEST_CASE("nsec3: a parent-side NSEC3 with NS and without DS proves an insecure delegation") {
  // a.example's record lists DS (a signed delegation): nothing to deny.
  expect(prove({rec("35mt")}, "a.example.", T::DS), DenialKind::NotProven, ".");
  Nsec3Record unsigned_cut = rec("35mt");
  unsigned_cut.type_bitmap = bitmap({T::NS});
  expect(prove({unsigned_cut}, "a.example.", T::DS), DenialKind::NoDs, "a.example.");
}

TEST_CASE("nsec3: a DS query for a name without NS is no zone cut") {
  expect(prove({rec("2t7b")}, "ns1.example.", T::DS), DenialKind::NotACut, "ns1.example.");
}

TEST_CASE("nsec3: the parent-side NSEC3 at a delegation proves nothing about the child") {
  // RFC 6840 §4.1: a.example's record (NS, no SOA) says nothing about its A RRset...
  expect(prove({rec("35mt")}, "a.example.", T::A), DenialKind::NotProven, ".");
  // ...and cannot be the closest encloser of names below the cut.
  const DenialResult r = prove(appendix_a(), "b.a.example.", T::A);
  expect(r, DenialKind::NotProven, ".");
  CHECK(r.detail.find("zone cut") != std::string::npos);
}

TEST_CASE("nsec3: a matching NSEC3 listing the qtype or a CNAME proves no NODATA") {
  expect(prove({rec("2t7b")}, "ns1.example.", T::A), DenialKind::NotProven, ".");
  Nsec3Record cname = rec("2t7b");
  cname.type_bitmap = bitmap({T::CNAME, T::RRSIG});
  expect(prove({cname}, "ns1.example.", T::MX), DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: an owner label that is not the hash of the name proves nothing") {
  // B.1 with one character of the closest encloser's owner label changed.
  const Nsec3Record b4um = rec("b4um");
  Nsec3Record flipped = nsec3("b4um86eghhds6nea196smvmlo4ors994",
                              "gjeqe526plbf1g8mklp59enfd789njgi", {T::MX, T::RRSIG});
  CHECK(flipped.type_bitmap == b4um.type_bitmap);
  expect(prove(without_opt_out({rec("0p9m"), flipped, rec("35mt")}), "a.c.x.w.example.", T::A),
         DenialKind::NotProven, ".");
  // B.2 with a changed owner label no longer matches ns1.example.
  expect(prove({nsec3("2t7b4g4vsa5smi47k61mv5bv1a22bojq", "2vptu5timamqttgl4luu9kg21e0aor3s",
                      {T::A, T::RRSIG})},
               "ns1.example.", T::MX),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: a name error without the closest encloser's NSEC3 is not proven") {
  expect(prove(without_opt_out({rec("0p9m"), rec("35mt")}), "a.c.x.w.example.", T::A),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: a name error without the wildcard proof is not proven") {
  expect(prove(without_opt_out({rec("0p9m"), rec("b4um")}), "a.c.x.w.example.", T::A),
         DenialKind::NotProven, ".");
  // Opt-Out does not excuse the missing wildcard proof for a name error.
  expect(prove({rec("0p9m"), rec("b4um")}, "a.c.x.w.example.", T::A), DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: an Opt-Out span offered for a name error gives OptOut, never NxDomain") {
  const DenialResult r = prove({rec("0p9m"), rec("b4um"), rec("35mt")}, "a.c.x.w.example.", T::A);
  CHECK(r.kind == DenialKind::OptOut);
  CHECK(r.kind != DenialKind::NxDomain);
  CHECK(r.detail.find("Opt-Out") != std::string::npos);
}

TEST_CASE("nsec3: iterations above the limit make the zone insecure before any hashing") {
  Nsec3Limits limits;  // max_iterations 150
  const Nsec3Record r151 =
      nsec3("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s",
            {T::A, T::RRSIG}, Params{.iterations = 151});
  expect(prove_nsec3({r151}, name("ns1.example."), T::MX, zone(), limits),
         DenialKind::UnsupportedIterations, ".");
  CHECK(limits.hashes_used == 0);
  // 150 is still allowed (the hash no longer matches: not proven, but not unsupported).
  const Nsec3Record r150 =
      nsec3("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s",
            {T::A, T::RRSIG}, Params{.iterations = 150});
  expect(prove_nsec3({r150}, name("ns1.example."), T::MX, zone(), limits), DenialKind::NotProven,
         ".");
}

TEST_CASE("nsec3: a proof that needs more hashes than the budget stops not proven") {
  // CVE-2023-50868: 200 records and a qname 15 labels below the zone would cost 16 hashes.
  std::vector<Nsec3Record> records;
  auto hash_of = [](size_t i) {
    std::vector<uint8_t> h(20, 0);
    h[0] = static_cast<uint8_t>(i);
    h[19] = 0x5A;
    return crypto::base32hex_encode(h);
  };
  for (size_t i = 0; i < 200; ++i) {
    records.push_back(nsec3(hash_of(i), hash_of((i + 1) % 200), {T::A, T::RRSIG}));
  }
  Nsec3Limits limits{.max_hash_computations = 10};
  const DenialResult r =
      prove_nsec3(records, name("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.example."), T::A, zone(), limits);
  expect(r, DenialKind::NotProven, ".");
  CHECK(r.detail.find("budget") != std::string::npos);
  CHECK(limits.hashes_used == 10);
}

TEST_CASE("nsec3: the hash budget is shared by the proofs of one validation") {
  Nsec3Limits limits{.max_hash_computations = 5};
  expect(prove_nsec3({rec("0p9m"), rec("b4um"), rec("35mt")}, name("a.c.x.w.example."), T::A,
                     zone(), limits),
         DenialKind::OptOut, "x.w.example.");
  expect(prove_nsec3({rec("2t7b")}, name("ns1.example."), T::MX, zone(), limits),
         DenialKind::NoData, "ns1.example.");
  CHECK(limits.hashes_used == 5);
  expect(prove_nsec3({rec("2t7b")}, name("ns1.example."), T::MX, zone(), limits),
         DenialKind::NotProven, ".");
  CHECK(limits.hashes_used == 5);
}

TEST_CASE("nsec3: records that disagree on the salt prove nothing") {
  Nsec3Record other_salt = rec("b4um");
  other_salt.salt = hex("aabbccde");
  expect(prove(without_opt_out({rec("0p9m"), other_salt, rec("35mt")}), "a.c.x.w.example.", T::A),
         DenialKind::NotProven, ".");
  Nsec3Record other_iterations = rec("b4um");
  other_iterations.iterations = 13;
  expect(prove(without_opt_out({rec("0p9m"), other_iterations, rec("35mt")}), "a.c.x.w.example.",
               T::A),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: records with an unknown hash algorithm or flags are ignored") {
  const Nsec3Record alg2 =
      nsec3("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s",
            {T::A, T::RRSIG}, Params{.algorithm = 2});
  expect(prove({alg2}, "ns1.example.", T::MX), DenialKind::NotProven, ".");
  const Nsec3Record flags2 =
      nsec3("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s",
            {T::A, T::RRSIG}, Params{.flags = 2});
  expect(prove({flags2}, "ns1.example.", T::MX), DenialKind::NotProven, ".");
  // Ignored records do not spoil the others, even with other parameters.
  const Nsec3Record alg2_other_salt =
      nsec3("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "2t7b4g4vsa5smi47k61mv5bv1a22bojr", {T::A},
            Params{.algorithm = 2, .salt = "01"});
  expect(prove({alg2_other_salt, rec("2t7b")}, "ns1.example.", T::MX), DenialKind::NoData,
         "ns1.example.");
}

TEST_CASE("nsec3: a record owned outside <hash>.<zone> is ignored") {
  const Nsec3Record deeper =
      nsec3("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s",
            {T::A, T::RRSIG}, Params{}, "sub.example.");
  expect(prove({deeper}, "ns1.example.", T::MX), DenialKind::NotProven, ".");
  expect(prove({rec("2t7b")}, "ns1.example.org.", T::MX), DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: a wildcard answer needs the closest encloser to be a proper ancestor") {
  Nsec3Limits limits;
  expect(prove_wildcard_answer_nsec3({rec("q04j")}, name("a.z.w.example."), name("a.z.w.example."),
                                     zone(), limits),
         DenialKind::NotProven, ".");
  expect(prove_wildcard_answer_nsec3({rec("q04j")}, name("a.z.w.example."), name("x.w.example."),
                                     zone(), limits),
         DenialKind::NotProven, ".");
  // A record that does not cover the next closer name proves nothing.
  expect(prove_wildcard_answer_nsec3(without_opt_out({rec("b4um")}), name("a.z.w.example."),
                                     name("w.example."), zone(), limits),
         DenialKind::NotProven, ".");
}

TEST_CASE("nsec3: make_nsec3_record copies the fields and rejects bad RDATA") {
  const Nsec3Record r = rec("0p9m");
  CHECK(r.hash_algorithm == 1);
  CHECK(r.flags == 1);
  CHECK(r.iterations == 12);
  CHECK(r.salt == hex("aabbccdd"));
  CHECK(crypto::base32hex_encode(r.next_hashed) == "2t7b4g4vsa5smi47k61mv5bv1a22bojr");
  CHECK(r.type_bitmap == bitmap({T::NS, T::SOA, T::MX, T::RRSIG, T::DNSKEY, T::NSEC3PARAM}));
  const std::vector<uint8_t> truncated = {1, 1, 0, 12, 4, 0xaa, 0xbb};
  CHECK_FALSE(make_nsec3_record(name("example."), truncated).has_value());
}

}  // namespace
}  // namespace dnsp::resolver::test
