// tests/resolver: trust anchors (built-in root KSK-2017 and KSK-2024, files in zone format)
// and the zone text reader behind them, checked against the root keys and the DNSKEY/DS
// pairs of RFC 4034 §5.4, RFC 6605 §6 and RFC 8080 §6.
#include "resolver/anchors/trust_anchor.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/digest.h"
#include "resolver/verify/canonical.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/zone_text.h"
#include "tests/resolver/rrset_packets.h"

namespace dnsp::resolver::test {
namespace {

// The root zone's KSK-2017 (20326) and KSK-2024 (38696) public keys, as the root publishes
// them (DNSKEY 257 3 8).
constexpr std::string_view kKsk2017 =
    "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN"
    "7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8"
    "efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLY"
    "A4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";
constexpr std::string_view kKsk2024 =
    "AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeH"
    "spaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAx"
    "m9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+"
    "u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=";

TrustAnchors anchors(std::string_view text) {
  auto a = TrustAnchors::from_text(text, "anchors.txt");
  REQUIRE_MESSAGE(a.has_value(), a.error());
  return std::move(a).value();
}

std::string anchors_error(std::string_view text) {
  auto a = TrustAnchors::from_text(text, "anchors.txt");
  REQUIRE_FALSE(a.has_value());
  return a.error();
}

std::vector<ZoneRecord> records(std::string_view text) {
  auto r = parse_zone_text(text, "anchors.txt");
  REQUIRE_MESSAGE(r.has_value(), r.error());
  return std::move(r).value();
}

std::string records_error(std::string_view text) {
  auto r = parse_zone_text(text, "anchors.txt");
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

// True when `ds` (DS RDATA) is the digest of `dnskey` (DNSKEY RDATA) at `owner`: key tag,
// algorithm and digest all match (RFC 4035 §5.2).
bool ds_matches(const Name& owner, const Bytes& ds, const Bytes& dnskey) {
  auto d = parse_ds(ds);
  auto k = parse_dnskey(dnskey);
  REQUIRE(d.has_value());
  REQUIRE(k.has_value());
  const auto digest = crypto::ds_digest(d->digest_type, ds_digest_input(owner, dnskey));
  REQUIRE(digest.status == crypto::DigestStatus::Ok);
  return d->key_tag == key_tag(dnskey) && d->algorithm == k->algorithm &&
         std::equal(digest.digest.begin(), digest.digest.end(), d->digest.begin(), d->digest.end());
}

// A file under $TMPDIR (or /tmp) removed when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr ? dir : "/tmp") + "/anchors-XXXXXX";
    const int fd = mkstemp(path_.data());
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
    close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

// --- built-in anchors --------------------------------------------------------------------

TEST_CASE("trust anchor: built in are the root KSK-2017 and KSK-2024 DS records") {
  const TrustAnchors builtin = TrustAnchors::builtin();
  REQUIRE(builtin.size() == 1);
  const TrustAnchor& root = builtin.anchors()[0];
  CHECK(root.zone.is_root());
  CHECK(root.dnskey_rdatas.empty());
  CHECK(root.ds_rdatas ==
        std::vector<Bytes>{
            hex("4f66 08 02 e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d"),
            hex("9728 08 02 683d2d0acb8c9b712a1948b27f741219298d0a450d612c483af444a4c0fb2b16")});
}

TEST_CASE("trust anchor: the root's published KSKs match the built-in DS records") {
  const TrustAnchors builtin = TrustAnchors::builtin();
  const TrustAnchor& root = builtin.anchors().at(0);
  const Bytes ksk2017 = dnskey_rdata(257, 8, kKsk2017);
  const Bytes ksk2024 = dnskey_rdata(257, 8, kKsk2024);
  CHECK(key_tag(ksk2017) == 20326);
  CHECK(key_tag(ksk2024) == 38696);
  CHECK(ds_matches(Name::root(), root.ds_rdatas.at(0), ksk2017));
  CHECK(ds_matches(Name::root(), root.ds_rdatas.at(1), ksk2024));
  CHECK_FALSE(ds_matches(Name::root(), root.ds_rdatas.at(0), ksk2024));
  // A KSK with the REVOKE bit (RFC 5011 §2.1) has another key tag and digest.
  CHECK_FALSE(ds_matches(Name::root(), root.ds_rdatas.at(0), dnskey_rdata(385, 8, kKsk2017)));
}

TEST_CASE("trust anchor: the closest enclosing anchor is the deepest zone above the name") {
  const TrustAnchors a = anchors(
      ". DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
      "example.com. DS 1 8 2 0000000000000000000000000000000000000000000000000000000000000000\n"
      "sub.Example.COM. DS 2 8 1 0000000000000000000000000000000000000000\n");
  REQUIRE(a.size() == 3);
  CHECK(a.closest_enclosing(name("www.sub.example.com."))->zone == name("sub.example.com."));
  CHECK(a.closest_enclosing(name("SUB.example.com."))->zone == name("sub.example.com."));
  CHECK(a.closest_enclosing(name("www.example.com."))->zone == name("example.com."));
  CHECK(a.closest_enclosing(name("xsub.example.com."))->zone == name("example.com."));
  CHECK(a.closest_enclosing(name("example.org."))->zone.is_root());
  CHECK(a.find(name("EXAMPLE.com.")) != nullptr);
  CHECK(a.find(name("www.example.com.")) == nullptr);

  const TrustAnchors only_com = anchors(
      "example.com. DS 1 8 2 0000000000000000000000000000000000000000000000000000000000000000\n");
  CHECK(only_com.closest_enclosing(name("example.org.")) == nullptr);
  CHECK(only_com.closest_enclosing(Name::root()) == nullptr);
}

TEST_CASE("trust anchor: set() replaces one zone's anchor and keeps the others") {
  TrustAnchors a = anchors(
      ". DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
      "example.com. DS 1 8 2 0000000000000000000000000000000000000000000000000000000000000000\n");
  a.set(TrustAnchor{Name::root(), {}, {{1, 1, 3, 15, 0xaa}}});
  REQUIRE(a.size() == 2);
  CHECK(a.find(Name::root())->ds_rdatas.empty());
  CHECK(a.find(Name::root())->dnskey_rdatas.size() == 1);
  CHECK(a.find(name("example.com."))->ds_rdatas.size() == 1);
  a.set(TrustAnchor{name("example.org."), {{0, 1, 8, 2}}, {}});
  CHECK(a.size() == 3);
  CHECK(a.closest_enclosing(name("www.example.org."))->zone == name("example.org."));
}

TEST_CASE("trust anchor: text without records gives an empty set") {
  for (std::string_view text : {"", "\n\n", "; only a comment\n   ; and another", "$TTL 3600\n"}) {
    const TrustAnchors a = anchors(text);
    CHECK(a.empty());
    CHECK(a.size() == 0);
    CHECK(a.closest_enclosing(name("example.")) == nullptr);
  }
  CHECK(TrustAnchors().empty());
}

// --- anchor files ------------------------------------------------------------------------

TEST_CASE("trust anchor: RFC 4034 §5.4 DNSKEY and DS, as printed, are parsed and match") {
  const TrustAnchors a = anchors(R"(
dskey.example.com. 86400 IN DNSKEY 256 3 5 ( AQOeiiR0GOMYkDshWoSKz9Xz
                                             fwJr1AYtsmx3TGkJaNXVbfi/
                                             2pHm822aJ5iI9BMzNXxeYCmZ
                                             DRD99WYwYqUSdjMmmAphXdvx
                                             egXd/M5+X7OrzKBaMbCVdFLU
                                             Uh6DhweJBjEVv5f2wwjM9Xzc
                                             nOf+EPbtG9DMBmADjFDc2w/r
                                             ljwvFw==
                                             ) ;  key id = 60485

dskey.example.com. 86400 IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A
                                           98631FAD1A292118 )
)");
  REQUIRE(a.size() == 1);
  const TrustAnchor& t = a.anchors()[0];
  CHECK(t.zone == name("dskey.example.com."));
  REQUIRE(t.dnskey_rdatas.size() == 1);
  REQUIRE(t.ds_rdatas.size() == 1);
  CHECK(key_tag(t.dnskey_rdatas[0]) == 60485);
  CHECK(t.ds_rdatas[0] == hex("ec45 05 01 2bb183af5f22588179a53b0a98631fad1a292118"));
  CHECK(ds_matches(t.zone, t.ds_rdatas[0], t.dnskey_rdatas[0]));
}

TEST_CASE("trust anchor: RFC 6605 §6 and RFC 8080 §6 DS records match their DNSKEYs") {
  const TrustAnchors a = anchors(R"(
$ORIGIN example.net.
@ 3600 IN DNSKEY 257 3 13 (
        GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb
        krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )
  3600 IN DS 55648 13 2 (
        b4c8c1fe2e7477127b27115656ad6256f424625b
        f5c1e2770ce6d6e37df61d17 )
  IN DNSKEY 257 3 ECDSAP384SHA384 (
        xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1
        w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8
        /uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40 )
  IN DS 10771 14 4 (
        72d7b62976ce06438e9c0bf319013cf801f09ecc84b8
        d7e9495f27e305c6a9b0563a9b5f4d288405c3008a94
        6df983d6 )
$ORIGIN com.
example 3600 IN DNSKEY 257 3 15 ( l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= )
example 3600 IN DS 3613 15 2 ( 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b )
example IN DNSKEY 257 3 16 ( 3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA )
example IN DS 9713 16 2 ( 6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2b19c7 )
)");
  REQUIRE(a.size() == 2);
  for (const TrustAnchor& t : a.anchors()) {
    CAPTURE(t.zone.to_string());
    REQUIRE(t.ds_rdatas.size() == 2);
    REQUIRE(t.dnskey_rdatas.size() == 2);
    for (size_t i = 0; i < 2; ++i) {
      CHECK(ds_matches(t.zone, t.ds_rdatas[i], t.dnskey_rdatas[i]));
      CHECK_FALSE(ds_matches(t.zone, t.ds_rdatas[i], t.dnskey_rdatas[1 - i]));
    }
  }
  CHECK(a.anchors()[0].zone == name("example.net."));
  CHECK(a.anchors()[1].zone == name("example.com."));
}

TEST_CASE("trust anchor: a file is read, and one that cannot be read names its path") {
  SUBCASE("the root KSKs as DNSKEYs, as unbound-anchor writes them") {
    const TempFile file(
        "; autotrust trust anchor file\n"
        ";;id: . 1\n"
        ".\t172800\tIN\tDNSKEY\t257 3 8 " +
        std::string(kKsk2017) +
        " ;{id = 20326 (ksk), size = 2048b} ;;state=2 [  VALID  ]\n"
        ".\t172800\tIN\tDNSKEY\t257 3 8 " +
        std::string(kKsk2024) + " ;{id = 38696 (ksk), size = 2048b}\n");
    auto a = TrustAnchors::from_file(file.path());
    REQUIRE_MESSAGE(a.has_value(), a.error());
    REQUIRE(a->size() == 1);
    const TrustAnchor& root = a->anchors()[0];
    CHECK(root.dnskey_rdatas ==
          std::vector<Bytes>{dnskey_rdata(257, 8, kKsk2017), dnskey_rdata(257, 8, kKsk2024)});
  }
  SUBCASE("errors name the file") {
    const TempFile file("\n. IN DS 1 8 2 nothex\n");
    auto a = TrustAnchors::from_file(file.path());
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error() == file.path() + ":2: DS: expected a hex digest, got \"nothex\"");
  }
  SUBCASE("a missing file") {
    auto a = TrustAnchors::from_file("/nonexistent/anchors.txt");
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error() == "/nonexistent/anchors.txt: No such file or directory");
  }
  SUBCASE("a directory") {
    auto a = TrustAnchors::from_file("/");
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error() == "/: Is a directory");
  }
}

TEST_CASE("trust anchor: records are grouped by zone case-insensitively and kept once") {
  const TrustAnchors a = anchors(
      "Example. DS 1 8 1 0000000000000000000000000000000000000000\n"
      "example. DS 1 8 1 0000000000000000000000000000000000000000\n"
      "EXAMPLE. DS 2 8 1 0000000000000000000000000000000000000000\n");
  REQUIRE(a.size() == 1);
  CHECK(a.anchors()[0].ds_rdatas.size() == 2);
  CHECK(a.anchors()[0].zone.to_string() == "Example.");
}

TEST_CASE("trust anchor: rejected records name the line and the reason") {
  CHECK(anchors_error("\n\nexample. CH DS 1 8 1 0000000000000000000000000000000000000000\n") ==
        "anchors.txt:3: class CH: trust anchors must be class IN");
  CHECK(anchors_error("example. DNSKEY 1 3 8 AwEAAQ==\n") ==
        "anchors.txt:1: DNSKEY: flags 1 lack the Zone Key bit (256), so the key cannot verify "
        "signatures");
}

// --- zone text ---------------------------------------------------------------------------

TEST_CASE("zone text: TTL and class are optional and may come in either order") {
  const auto r = records(
      "a.example. 3600 IN DS 1 8 1 0000000000000000000000000000000000000000\n"
      "b.example. IN 7200 DS 1 8 1 0000000000000000000000000000000000000000\n"
      "c.example. DS 1 8 1 0000000000000000000000000000000000000000\n"
      "d.example. 1h30m ds 1 8 1 0000000000000000000000000000000000000000\n"
      "e.example. in dnskey 256 3 8 AwEAAQ==\n");
  REQUIRE(r.size() == 5);
  CHECK(r[0].ttl == 3600);
  CHECK(r[1].ttl == 7200);
  CHECK(r[2].ttl == 7200);  // no $TTL: the previous record's
  CHECK(r[3].ttl == 5400);
  CHECK(r[3].type == RRType::DS);
  CHECK(r[4].type == RRType::DNSKEY);
  CHECK(r[4].rdata == hex("0100 03 08 03010001"));
  for (const auto& rec : r) CHECK(rec.klass == RRClass::IN);
  CHECK(r[4].line == 5);
}

TEST_CASE("zone text: $TTL, $ORIGIN, @ and blank owners") {
  const auto r = records(
      "$TTL 300\n"
      "$ORIGIN Example.\n"
      "@ DS 1 8 1 0000000000000000000000000000000000000000\n"
      "sub DS 2 8 1 0000000000000000000000000000000000000000\n"
      "   DNSKEY 257 3 8 AwEAAQ==   ; the owner of the line above\n"
      "abs.other. 60 DS 3 8 1 0000000000000000000000000000000000000000\n"
      "$ORIGIN deeper\n"
      "x DS 4 8 1 0000000000000000000000000000000000000000\n");
  REQUIRE(r.size() == 5);
  CHECK(r[0].owner == name("example."));
  CHECK(r[0].ttl == 300);
  CHECK(r[1].owner == name("sub.example."));
  CHECK(r[2].owner == name("sub.example."));
  CHECK(r[2].type == RRType::DNSKEY);
  CHECK(r[3].owner == name("abs.other."));
  CHECK(r[3].ttl == 60);
  CHECK(r[4].owner == name("x.deeper.example."));
  CHECK(r[4].ttl == 300);  // $TTL, not the previous record's
  CHECK(r[4].line == 8);
}

TEST_CASE("zone text: digests and keys may be split by blanks, parentheses and comments") {
  const auto r = records(
      "example. DS 60485 RSASHA1 1 ( 2BB183AF 5F225881 ; first half\n"
      "   79a53b0a98631fad1a292118 )\n"
      "example. DNSKEY 256 3 8 ( AwEA\n"
      "  AQ== )\n"
      "example. DNSKEY 256 3 8 \"AwEAAQ==\"\n");
  REQUIRE(r.size() == 3);
  CHECK(r[0].rdata == hex("ec45 05 01 2bb183af5f22588179a53b0a98631fad1a292118"));
  CHECK(r[1].rdata == hex("0100 03 08 03010001"));
  CHECK(r[2].rdata == r[1].rdata);
  CHECK(r[1].line == 3);
}

TEST_CASE("zone text: errors name the source, the line and what was wrong") {
  struct Case {
    std::string_view text;
    std::string_view error;
  };
  const Case cases[] = {
      {"; anchors\n\nexample. DS 1 8 2 xyz\n",
       "anchors.txt:3: DS: expected a hex digest, got \"xyz\""},
      {"example. DS 1 8 2 ( 00112233\n  xyz )\n",
       "anchors.txt:2: DS: expected a hex digest, got \"xyz\""},
      {"example. DS 1 8 1 00112\n",
       "anchors.txt:1: DS: the hex digest has an odd number of digits"},
      {"example. DS 1 8 2 0011\n", "anchors.txt:1: DS: a SHA-256 digest is 32 octets, got 2"},
      {"example. DS 1 8 1\n", "anchors.txt:1: DS: missing the digest"},
      {"example. DS 70000 8 1 00\n",
       "anchors.txt:1: DS: expected a key tag (0-65535), got \"70000\""},
      {"example. DS 1 NOSUCHALG 1 00\n",
       "anchors.txt:1: DS: expected an algorithm number or mnemonic, got \"NOSUCHALG\""},
      {"example. DS 1 8 SHA256 00\n",
       "anchors.txt:1: DS: expected a digest type (0-255), got \"SHA256\""},
      {"example. DNSKEY 257 4 8 AwEAAQ==\n",
       "anchors.txt:1: DNSKEY: the protocol must be 3, got \"4\""},
      {"example. DNSKEY 257 3 8 AwE*AQ==\n",
       "anchors.txt:1: DNSKEY: expected a base64 public key, got \"AwE*AQ==\""},
      {"example. DNSKEY 257 3\n", "anchors.txt:1: DNSKEY: missing the algorithm"},
      {"example. DNSKEY 257 3 8\n", "anchors.txt:1: DNSKEY: missing the public key"},
      {"example. IN 3600\n", "anchors.txt:1: missing the record type"},
      {"example. 3600 IN CNAME other.example.\n",
       "anchors.txt:1: unsupported record type CNAME: a trust anchor file holds only DS and "
       "DNSKEY"},
      {"example. 3600 IN BOGUS 1\n", "anchors.txt:1: expected a record type, got \"BOGUS\""},
      {"example. 99x IN DS 1 8 1 00\n", "anchors.txt:1: expected a TTL, got \"99x\""},
      {"exa..mple. DS 1 8 1 00\n", "anchors.txt:1: bad owner name \"exa..mple.\": bad label"},
      {"example. DS 1 8 1 ( 00\n\n", "anchors.txt:1: '(' is never closed"},
      {"\nexample. DS 1 8 1 00 )\n", "anchors.txt:2: ')' without a matching '('"},
      {"  DS 1 8 1 00\n", "anchors.txt:1: a record with a blank owner needs a previous record"},
      {"$INCLUDE other.txt\n", "anchors.txt:1: $INCLUDE is not supported in a trust anchor file"},
      {"$GENERATE 1-2 x DS 1 8 1 00\n", "anchors.txt:1: unknown directive \"$GENERATE\""},
      {"$TTL\n", "anchors.txt:1: $TTL takes exactly one argument"},
      {"$TTL soon\n", "anchors.txt:1: $TTL: expected a TTL, got \"soon\""},
      {"example. DNSKEY 257 3 8 \"AwEAAQ==\n", "anchors.txt:1: a quoted string is never closed"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(records_error(c.text) == c.error);
  }
}

}  // namespace dnsp::resolver::test
