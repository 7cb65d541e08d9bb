// tests/resolver: local data ([local] records and a hosts file) — the record lines (zone-file
// text, resolver/wire/zone_text.h ZoneRecords::LocalData), the hosts(5) reader, the table's
// answers (the asked type, NODATA for others, CNAMEs followed through local data, PTR for
// hosts addresses, RFC 1035 §3.5 and RFC 3596 §2.5) and the reply (AA set, AD clear).
#include "resolver/local/local_data.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resolver/local/hosts_file.h"
#include "resolver/wire/zone_text.h"
#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

LocalData records(const std::vector<std::string>& lines, uint32_t ttl = 0) {
  std::vector<LocalRecordText> texts;
  for (size_t i = 0; i < lines.size(); ++i) {
    texts.push_back({lines[i], "proxy.toml:" + std::to_string(i + 3) + ": local.records[" +
                                   std::to_string(i) + "]"});
  }
  auto data = LocalData::from_records(texts, ttl);
  if (!data) FAIL(data.error());
  LocalData out;
  std::swap(out, *data);
  return out;
}

std::string records_error(const std::vector<std::string>& lines) {
  std::vector<LocalRecordText> texts;
  for (size_t i = 0; i < lines.size(); ++i) {
    texts.push_back({lines[i], "proxy.toml:7: local.records[" + std::to_string(i) + "]"});
  }
  auto data = LocalData::from_records(texts, 0);
  REQUIRE_FALSE(data.has_value());
  return data.error();
}

Question question(std::string_view qname, RRType type) {
  return Question{name(qname), type, RRClass::IN};
}

TEST_CASE("local: zone_text reads A, AAAA, CNAME, PTR, MX, TXT and SRV for local data") {
  auto r = parse_zone_text(
      "printer.home.arpa. 300 A 192.168.1.20\n"
      "printer.home.arpa. AAAA 2001:db8::20\n"
      "www.home.arpa. CNAME printer.home.arpa.\n"
      "20.1.168.192.in-addr.arpa. PTR printer.home.arpa.\n"
      "home.arpa. MX 10 mail.home.arpa.\n"
      "home.arpa. TXT \"v=spf1 -all\" plain \"a\\\"b\" \"\\065\"\n"
      "_ipp._tcp.home.arpa. SRV 0 5 631 printer.home.arpa.\n",
      "local", ZoneRecords::LocalData, 60);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error()));
  REQUIRE(r->size() == 7);
  CHECK((*r)[0].ttl == 300);
  CHECK((*r)[0].rdata == Bytes{192, 168, 1, 20});
  CHECK((*r)[1].type == RRType::AAAA);
  CHECK((*r)[1].rdata.size() == 16);
  CHECK((*r)[1].ttl == 300);  // the previous record's TTL, as RFC 1035 §5.1 has it
  CHECK((*r)[2].rdata == wire_of(name("printer.home.arpa")));
  CHECK((*r)[4].rdata == Wire().u16(10).name("mail.home.arpa").bytes());
  CHECK((*r)[5].rdata == Bytes{11, 'v', '=', 's', 'p', 'f', '1', ' ', '-', 'a', 'l', 'l',
                               5,  'p', 'l', 'a', 'i', 'n', 3,   'a', '"', 'b', 1,   'A'});
  CHECK((*r)[6].rdata == Wire().u16(0).u16(5).u16(631).name("printer.home.arpa").bytes());

  auto first = parse_zone_text("a.home.arpa. A 10.0.0.1\n", "local", ZoneRecords::LocalData, 60);
  REQUIRE(first.has_value());
  CHECK((*first)[0].ttl == 60);  // no TTL anywhere: the default given
}

TEST_CASE("local: zone_text refuses bad local data and keeps trust anchor files to DS/DNSKEY") {
  auto bad = [](const std::string& text) {
    auto r = parse_zone_text(text, "local", ZoneRecords::LocalData, 0);
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  CHECK(bad("a. A 300.1.1.1") == "local:1: A: expected an IPv4 address, got \"300.1.1.1\"");
  CHECK(bad("a. AAAA 10.0.0.1") == "local:1: AAAA: expected an IPv6 address, got \"10.0.0.1\"");
  CHECK(bad("a. A 10.0.0.1 10.0.0.2") == "local:1: A: unexpected \"10.0.0.2\" after the data");
  CHECK(bad("a. MX mail.") == "local:1: MX: expected a preference (0-65535), got \"mail.\"");
  CHECK(bad("a. SOA x. y. 1 2 3 4 5").find("unsupported record type SOA: local data may be") !=
        std::string::npos);
  CHECK(bad("a. TXT \"" + std::string(256, 'x') + "\"") ==
        "local:1: TXT: a string is 256 octets, more than 255 (split it in several)");
  CHECK(bad("a. CNAME") == "local:1: CNAME: missing the target name");
  auto anchors = parse_zone_text("a. A 10.0.0.1", "anchors.txt");
  REQUIRE_FALSE(anchors.has_value());
  CHECK(anchors.error() ==
        "anchors.txt:1: unsupported record type A: a trust anchor file holds only DS and DNSKEY");
}

TEST_CASE("local: a local name answers its type, NODATA for others; names below are not local") {
  const LocalData data =
      records({"printer.home.arpa. 300 A 192.168.1.20", "printer.home.arpa. 300 A 192.168.1.21",
               "printer.home.arpa. AAAA 2001:db8::20"});
  auto a = data.lookup(question("PRINTER.home.arpa", RRType::A));
  REQUIRE(a.has_value());
  REQUIRE(a->size() == 2);
  CHECK((*a)[0].ttl == 300);
  CHECK(to_bytes((*a)[1].rdata) == Bytes{192, 168, 1, 21});
  auto mx = data.lookup(question("printer.home.arpa", RRType::MX));
  REQUIRE(mx.has_value());
  CHECK(mx->empty());  // NODATA
  CHECK_FALSE(data.lookup(question("x.printer.home.arpa", RRType::A)).has_value());
  CHECK_FALSE(data.lookup(question("home.arpa", RRType::A)).has_value());
  CHECK_FALSE(data.lookup(Question{name("printer.home.arpa"), RRType::A, RRClass::CH}));
  auto any = data.lookup(question("printer.home.arpa", RRType::ANY));
  REQUIRE(any.has_value());
  CHECK(any->size() == 3);
}

TEST_CASE("local: a CNAME is followed only through local data") {
  const LocalData data = records(
      {"www.home.arpa. 60 CNAME printer.home.arpa.", "printer.home.arpa. 300 A 192.168.1.20",
       "ext.home.arpa. 60 CNAME www.example.org.", "loop1.home.arpa. CNAME loop2.home.arpa.",
       "loop2.home.arpa. CNAME loop1.home.arpa."});
  auto www = data.lookup(question("www.home.arpa", RRType::A));
  REQUIRE(www.has_value());
  REQUIRE(www->size() == 2);
  CHECK((*www)[0].type == RRType::CNAME);
  CHECK((*www)[1].type == RRType::A);
  CHECK(*(*www)[1].owner == name("printer.home.arpa"));
  auto cname = data.lookup(question("www.home.arpa", RRType::CNAME));
  REQUIRE(cname->size() == 1);
  auto ext = data.lookup(question("ext.home.arpa", RRType::AAAA));
  REQUIRE(ext->size() == 1);  // the target is not ours: the CNAME alone
  auto loop = data.lookup(question("loop1.home.arpa", RRType::A));
  REQUIRE(loop.has_value());
  CHECK(loop->size() == 2);  // each link once
}

TEST_CASE("local: record errors name the entry, the record and what is wrong") {
  CHECK(records_error({"printer.home.arpa. A 192.168.1"}) ==
        "proxy.toml:7: local.records[0]: bad record \"printer.home.arpa. A 192.168.1\": A: "
        "expected an IPv4 address, got \"192.168.1\"");
  CHECK(records_error({"a.home.arpa. A 10.0.0.1", "a.home.arpa. CNAME b.home.arpa."}) ==
        "proxy.toml:7: local.records[1]: a.home.arpa. would have a CNAME and other data (first "
        "defined at proxy.toml:7: local.records[0]); a name with a CNAME has nothing else (RFC "
        "1034 §3.6.2)");
  CHECK(records_error({"a. A 10.0.0.1 ; one\nb. A 10.0.0.2"}) ==
        "proxy.toml:7: local.records[0]: \"a. A 10.0.0.1 ; one\nb. A 10.0.0.2\": expected "
        "exactly one record, got 2");
  CHECK(records_error({"a. CH A 10.0.0.1"}).ends_with("only class IN is answered"));
}

TEST_CASE("local: hosts(5) lines, comments, aliases; bad lines are skipped and said") {
  const auto parsed = parse_hosts(
      "# comment\n"
      "127.0.0.1\tlocalhost\n"
      "192.168.1.20  printer.home.arpa printer   # the printer\n"
      "2001:db8::20 printer.home.arpa\n"
      "fe80::1%eth0 router\n"
      "10.0.0.300 broken\n"
      "10.0.0.1\n"
      "10.0.0.2 ok bad..name\n",
      "/etc/hosts");
  REQUIRE(parsed.entries.size() == 4);
  CHECK(parsed.entries[1].names.size() == 2);
  CHECK(parsed.entries[1].names[1] == name("printer"));
  CHECK(parsed.entries[1].line == 3);
  CHECK(parsed.entries[2].address.size() == 16);
  REQUIRE(parsed.skipped.size() == 4);
  CHECK(parsed.skipped[0] ==
        "/etc/hosts:5: skipped: \"fe80::1%eth0\" is not an IPv4 or IPv6 address (a zone index "
        "such as %eth0 has no place in DNS)");
  CHECK(parsed.skipped[2] == "/etc/hosts:7: skipped: the address \"10.0.0.1\" has no names");
  CHECK(parsed.skipped[3] == "/etc/hosts:8: left out \"bad..name\": not a domain name");
}

TEST_CASE("local: hosts names answer A/AAAA and their addresses PTR (IPv4 and IPv6)") {
  LocalData data = records({"printer.home.arpa. 300 A 192.168.1.20"});
  const auto parsed = parse_hosts(
      "192.168.1.30 nas.home.arpa nas\n"
      "2001:db8::30 nas.home.arpa\n"
      "192.168.1.99 printer.home.arpa\n"
      "0.0.0.0 ads.example\n",
      "hosts");
  const auto notes = data.add_hosts(parsed.entries, "hosts", 0);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "hosts:3: printer.home.arpa. left out: [local] records define it already");
  auto nas = data.lookup(question("nas.home.arpa", RRType::A));
  REQUIRE(nas->size() == 1);
  CHECK((*nas)[0].ttl == 0);
  CHECK(data.lookup(question("nas", RRType::A))->size() == 1);
  CHECK(data.lookup(question("nas.home.arpa", RRType::AAAA))->size() == 1);
  CHECK(data.lookup(question("printer.home.arpa", RRType::A))->size() == 1);  // records' only
  auto ptr4 = data.lookup(question("30.1.168.192.in-addr.arpa", RRType::PTR));
  REQUIRE(ptr4->size() == 1);
  CHECK(to_bytes((*ptr4)[0].rdata) == wire_of(name("nas.home.arpa")));
  CHECK(reverse_name(Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30}) ==
        name("0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"));
  auto ptr6 = data.lookup(question(
      "0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", RRType::PTR));
  REQUIRE(ptr6->size() == 1);
  CHECK(data.lookup(question("ads.example", RRType::A))->size() == 1);
  CHECK_FALSE(data.lookup(question("0.0.0.0.in-addr.arpa", RRType::PTR)).has_value());
}

TEST_CASE("local: the reply has AA, no AD, RA, the client's ID, question and EDNS") {
  const LocalData data = records({"printer.home.arpa. 300 A 192.168.1.20"});
  ClientQuery q;
  q.id = 0x4242;
  q.flags = flag::kRD | flag::kCD;
  q.question = question("Printer.Home.Arpa", RRType::A);
  q.has_edns = true;
  q.udp_payload = 1232;
  q.dnssec_ok = true;
  auto packet = data.reply(q, 1232);
  REQUIRE(packet.has_value());
  const Message m = parsed(*packet);
  CHECK(m.id() == 0x4242);
  CHECK((m.flags() & flag::kAA) != 0);
  CHECK((m.flags() & flag::kAD) == 0);
  CHECK((m.flags() & flag::kRA) != 0);
  CHECK((m.flags() & flag::kCD) != 0);
  CHECK(m.rcode() == RCode::NoError);
  CHECK(m.questions().at(0).name.to_string() == "Printer.Home.Arpa.");
  CHECK(m.edns().has_value());
  CHECK(m.records().size() == 1);
  q.question.type = RRType::TXT;
  const auto nodata_packet = data.reply(q, 1232);
  const Message nodata = parsed(*nodata_packet);
  CHECK((nodata.flags() & flag::kAA) != 0);
  CHECK(nodata.rcode() == RCode::NoError);
  CHECK(nodata.records().empty());
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
