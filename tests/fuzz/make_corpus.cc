// Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/) from a private
// signed hierarchy: "test." (the fuzz_validator trust anchor) delegating securely to
// "example.test." and insecurely to "unsigned.test.". Ed25519 signatures are deterministic,
// so a rerun writes the same files. Also checks that each validator seed validates as
// intended (Secure or Insecure), so the corpus reaches deep into the validator.
//   make_corpus OUTPUT_DIR   (OUTPUT_DIR/fuzz_validator, OUTPUT_DIR/fuzz_message)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "crypto/digest.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/nsec3.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/canonical.h"
#include "resolver/verify/key_cache.h"
#include "resolver/wire/message_builder.h"
#include "tests/fuzz/validator_input.h"
#include "tests/resolver/test_signer.h"

using namespace dnsp::resolver;
using namespace dnsp::resolver::test;
using namespace dnsp::fuzz;
using Bytes = std::vector<uint8_t>;

namespace {

Name N(const char* text) { return *Name::from_text(text); }

Bytes a_rdata(uint8_t d) { return {192, 0, 2, d}; }

struct Hierarchy {
  TestKey test_ksk{N("test."), kKskFlags, kAnchorSeed};
  TestKey test_zsk{N("test."), kZoneKeyFlags, 0x02};
  TestKey example_key{N("example.test."), kKskFlags, 0x03};

  SignedResponse response(const char* qname, RRType qtype, RCode rcode = RCode::NoError) const {
    return SignedResponse(N(qname), qtype, rcode, kInception, kExpiration);
  }
  Bytes test_dnskey() const {
    return response("test.", RRType::DNSKEY)
        .add(Section::Answer, N("test."), RRType::DNSKEY,
             {test_ksk.dnskey_rdata(), test_zsk.dnskey_rdata()}, {&test_ksk})
        .packet();
  }
  Bytes example_ds() const {
    return response("example.test.", RRType::DS)
        .add(Section::Answer, N("example.test."), RRType::DS, {example_key.ds_rdata()}, {&test_zsk})
        .packet();
  }
  Bytes example_dnskey() const {
    return response("example.test.", RRType::DNSKEY)
        .add(Section::Answer, N("example.test."), RRType::DNSKEY, {example_key.dnskey_rdata()},
             {&example_key})
        .packet();
  }
  Bytes unsigned_ds() const {
    return response("unsigned.test.", RRType::DS)
        .add(Section::Authority, N("test."), RRType::SOA, {soa_rdata(N("test."))}, {&test_zsk})
        .add(Section::Authority, N("unsigned.test."), RRType::NSEC,
             {nsec_rdata(N("zzz.test."), {RRType::NS, RRType::RRSIG, RRType::NSEC})}, {&test_zsk})
        .packet();
  }
};

struct Seed {
  std::string name;
  uint8_t question;  // index into kQuestions
  std::vector<Bytes> slices;
  Security expected;
};

bool write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// Runs a seed the way fuzz_validator does; the verdict it reaches.
Security run_seed(const Seed& s, const TrustAnchors& anchors) {
  const FuzzQuestion& fq = kQuestions[s.question];
  auto answer = Message::parse(s.slices[0]);
  if (!answer) return Security::Indeterminate;
  KeyCache keys;
  Validation v(anchors, keys, Limits{}, kNow);
  v.keep_trace_lines();  // printed below when the verdict is not the expected one
  Step step = v.start(Question{N(std::string(fq.name).c_str()), fq.type, RRClass::IN}, *answer);
  for (size_t i = 1; i < s.slices.size() && std::holds_alternative<NeedRecords>(step); ++i) {
    step = v.resume(s.slices[i]);
  }
  if (auto* need = std::get_if<NeedRecords>(&step)) {
    std::fprintf(stderr, "%s: still needs %s %s\n", s.name.c_str(), need->name.to_string().c_str(),
                 std::string(to_string(need->type)).c_str());
    return Security::Indeterminate;
  }
  const auto& verdict = std::get<Finished>(step).verdict;
  if (verdict.security != s.expected) {
    std::fprintf(stderr, "%s: %s\n", s.name.c_str(), ede_text(verdict).c_str());
    for (const auto& line : v.trace()) std::fprintf(stderr, "  %s\n", line.c_str());
  }
  return verdict.security;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus OUTPUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out(argv[1]);
  std::filesystem::create_directories(out / "fuzz_validator");
  std::filesystem::create_directories(out / "fuzz_message");
  const Hierarchy h;
  const Name ex = N("example.test.");

  const Bytes www_a = h.response("www.example.test.", RRType::A)
                          .add(Section::Answer, N("www.example.test."), RRType::A,
                               {a_rdata(1), a_rdata(2)}, {&h.example_key})
                          .packet();
  const Bytes nodata_nsec =
      h.response("www.example.test.", RRType::AAAA)
          .add(Section::Authority, ex, RRType::SOA, {soa_rdata(ex)}, {&h.example_key})
          .add(Section::Authority, N("www.example.test."), RRType::NSEC,
               {nsec_rdata(N("zzz.example.test."), {RRType::A, RRType::RRSIG, RRType::NSEC})},
               {&h.example_key})
          .packet();
  const Bytes nxdomain_nsec =
      h.response("nx.example.test.", RRType::A, RCode::NXDomain)
          .add(Section::Authority, ex, RRType::SOA, {soa_rdata(ex)}, {&h.example_key})
          .add(Section::Authority, ex, RRType::NSEC,
               {nsec_rdata(N("www.example.test."),
                           {RRType::NS, RRType::SOA, RRType::RRSIG, RRType::NSEC, RRType::DNSKEY})},
               {&h.example_key})
          .packet();
  // NODATA proven with NSEC3 (no salt, no extra iterations): the NSEC3 at H(www).
  const auto www_hash =
      *dnsp::crypto::nsec3_hash(1, canonical_name_wire(N("www.example.test.")), {}, 0);
  Bytes next_hash = www_hash;
  next_hash.back() = static_cast<uint8_t>(next_hash.back() + 1);
  const std::string www_label = nsec3_hash_label(N("www.example.test."), {}, 0);
  const Name nsec3_owner = *ex.prepend(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(www_label.data()), www_label.size()));
  const Bytes nodata_nsec3 =
      h.response("www.example.test.", RRType::AAAA)
          .add(Section::Authority, ex, RRType::SOA, {soa_rdata(ex)}, {&h.example_key})
          .add(Section::Authority, nsec3_owner, RRType::NSEC3,
               {nsec3_rdata(0, 0, next_hash, {RRType::A, RRType::RRSIG})}, {&h.example_key})
          .packet();
  const Name www = N("www.example.test.");
  const Bytes cname =
      h.response("alias.example.test.", RRType::A)
          .add(Section::Answer, N("alias.example.test."), RRType::CNAME,
               {Bytes(www.wire().begin(), www.wire().end())}, {&h.example_key})
          .add(Section::Answer, N("www.example.test."), RRType::A, {a_rdata(1)}, {&h.example_key})
          .packet();
  const Bytes unsigned_a =
      h.response("www.unsigned.test.", RRType::A)
          .add(Section::Answer, N("www.unsigned.test."), RRType::A, {a_rdata(9)})
          .packet();

  const std::vector<Bytes> chain{h.example_ds(), h.test_dnskey(), h.example_dnskey()};
  auto with_chain = [&](const Bytes& answer) {
    std::vector<Bytes> v{answer};
    v.insert(v.end(), chain.begin(), chain.end());
    return v;
  };
  const std::vector<Seed> seeds{
      {"secure_a", 0, with_chain(www_a), Security::Secure},
      {"nodata_nsec", 1, with_chain(nodata_nsec), Security::Secure},
      {"nxdomain_nsec", 2, with_chain(nxdomain_nsec), Security::Secure},
      {"nodata_nsec3", 1, with_chain(nodata_nsec3), Security::Secure},
      {"cname_chain", 4, with_chain(cname), Security::Secure},
      {"insecure_delegation",
       3,
       {unsigned_a, h.test_dnskey(), h.unsigned_ds()},
       Security::Insecure},
  };

  auto anchors = TrustAnchors::from_text(
      std::string(kAnchorZone) + " DS " + std::to_string(h.test_ksk.tag()) + " 15 2 " +
          [&] {
            std::string hex;
            const auto ds = h.test_ksk.ds_rdata();
            for (size_t i = 4; i < ds.size(); ++i) {
              char b[3];
              std::snprintf(b, sizeof b, "%02X", ds[i]);
              hex += b;
            }
            return hex;
          }() +
          "\n",
      "make_corpus");
  if (!anchors) {
    std::fprintf(stderr, "anchor: %s\n", anchors.error().c_str());
    return 1;
  }
  int failures = 0;
  for (const auto& s : seeds) {
    if (run_seed(s, *anchors) != s.expected) ++failures;
    Bytes input{s.question};
    for (const auto& slice : s.slices) append_slice(input, slice);
    write_file(out / "fuzz_validator" / (s.name + ".bin"), input);
    if (s.name == "secure_a") {  // and the same answer when a fetch fails
      Bytes failed{s.question};
      append_slice(failed, s.slices[0]);
      failed.push_back(0xFF);
      failed.push_back(0xFF);
      write_file(out / "fuzz_validator" / "failed_fetch.bin", failed);
    }
  }
  // fuzz_message: every packet on its own, plus client queries.
  int n = 0;
  auto put = [&](const std::string& name, const Bytes& b) {
    write_file(out / "fuzz_message" / (std::to_string(n++) + "_" + name + ".bin"), b);
  };
  put("answer_a", www_a);
  put("nodata_nsec", nodata_nsec);
  put("nxdomain_nsec", nxdomain_nsec);
  put("nodata_nsec3", nodata_nsec3);
  put("cname", cname);
  put("ds", h.example_ds());
  put("dnskey", h.test_dnskey());
  put("unsigned_ds", h.unsigned_ds());
  {
    MessageBuilder b;
    b.set_header(0xBEEF, flag::kRD);
    (void)b.add_question(N("WwW.ExAmPlE.TeSt."), RRType::A, RRClass::IN);
    put("query_plain", b.finish());
  }
  {
    MessageBuilder b;
    b.set_header(0xBEF0, flag::kRD | flag::kCD);
    (void)b.add_question(N("www.example.test."), RRType::DNSKEY, RRClass::IN);
    EdnsOut e;
    e.flags = kEdnsDo;
    e.udp_payload = 4096;
    (void)b.add_opt(e);
    Bytes q = b.finish();
    // An EDNS COOKIE option (RFC 7873) appended to the OPT RDATA.
    const Bytes cookie{0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    q[q.size() - 1] = static_cast<uint8_t>(cookie.size());
    q.insert(q.end(), cookie.begin(), cookie.end());
    put("query_edns_cookie", q);
  }
  std::printf("wrote %zu validator seeds and %d message seeds to %s; %d unexpected verdicts\n",
              seeds.size() + 1, n, out.c_str(), failures);
  return failures == 0 ? 0 : 1;
}
