// resolver/explain/picture.h and the DOT, SVG and HTML renderers: well-formed XML (a small
// checker here, and xmllint when installed), every node and edge of the graph drawn, every
// label inside its box and none over another (6 zones deep, 10 keys, 20 RRSIGs), the failing
// edge marked and labelled, and text from DNS data escaped (<, ", &, non-UTF-8 octets).
#include "resolver/explain/picture.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "resolver/explain/markup.h"
#include "tests/resolver/explain/trace_helpers.h"

using namespace dnsp::resolver;
using namespace dnsp::test::explain;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A small XML well-formedness check: balanced tags, quoted attributes, known entities, no
// stray '<' or '&', valid UTF-8 and no C0 controls but tab, LF and CR. "" or the problem.
std::string xml_problem(const std::string& x) {
  std::vector<std::string> open;
  for (size_t i = 0; i < x.size(); ++i) {
    const auto c = static_cast<uint8_t>(x[i]);
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return "control character";
    if (x[i] == '&') {
      const size_t semi = x.find(';', i);
      const std::string ent = x.substr(i, semi == std::string::npos ? 0 : semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&#39;") {
        return "bad entity at " + std::to_string(i);
      }
    }
    if (x[i] != '<') continue;
    const size_t end = x.find('>', i);
    if (end == std::string::npos) return "unclosed tag";
    std::string tag = x.substr(i + 1, end - i - 1);
    size_t quotes = 0;
    for (char q : tag) quotes += q == '"' ? 1 : 0;
    if (quotes % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    if (tag.find('<') != std::string::npos) return "'<' inside a tag";
    if (tag.starts_with("/")) {
      if (open.empty() || open.back() != tag.substr(1)) return "mismatched </" + tag + ">";
      open.pop_back();
    } else if (!tag.ends_with("/")) {
      open.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    i = end;
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

// xmllint --noout, when libxml2-utils is installed (CI installs it): "" or its complaint.
std::string xmllint_problem(const std::string& xml) {
  if (access("/usr/bin/xmllint", X_OK) != 0) return "";
  char path[] = "/tmp/picture-test-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, xml.data(), xml.size()) == static_cast<ssize_t>(xml.size()));
  close(fd);
  const std::string cmd = "/usr/bin/xmllint --noout " + std::string(path) + " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
    pclose(p);
  }
  unlink(path);
  return out;
}

void check_well_formed(const std::string& svg) {
  CHECK_MESSAGE(xml_problem(svg).empty(), xml_problem(svg) << "\n" << svg);
  CHECK_MESSAGE(xmllint_problem(svg).empty(), xmllint_problem(svg));
}

// Every label inside the box it belongs to, no two labels overlapping.
void check_labels(const Picture& p) {
  const auto texts = all_texts(p);
  for (size_t i = 0; i < texts.size(); ++i) {
    CHECK_MESSAGE(texts[i].inside.contains(texts[i].text->box),
                  "\"" << texts[i].text->text << "\" leaves its box");
    for (size_t j = i + 1; j < texts.size(); ++j) {
      CHECK_MESSAGE(!texts[i].text->box.overlaps(texts[j].text->box),
                    "\"" << texts[i].text->text << "\" overlaps \"" << texts[j].text->text << "\"");
    }
  }
  for (const auto& n : p.nodes) {
    for (const auto& m : p.nodes) {
      if (&n != &m) CHECK_MESSAGE(!n.box.overlaps(m.box), n.id << " overlaps " << m.id);
    }
    CHECK(n.box.right() <= p.width);
  }
}

// Every node and edge of the graph in the SVG and the DOT.
void check_complete(const Report& r) {
  const Picture g = chain_graph(r);
  const std::string svg = render_svg(r);
  const std::string dot = render_dot(r);
  for (const auto& n : g.nodes) {
    CHECK_MESSAGE(contains(svg, "id=\"" + n.id + "\""), n.id);
    CHECK_MESSAGE(contains(dot, "\"" + n.id + "\" [label="), n.id);
  }
  for (const auto& e : g.edges) {
    CHECK(contains(svg, "data-from=\"" + e.from + "\" data-to=\"" + e.to + "\""));
    CHECK(contains(dot, "\"" + e.from + "\" -> \"" + e.to + "\""));
  }
  for (const auto& z : r.zones) {
    CHECK(contains(svg, "data-zone=\"" + xml_escape(z.zone.to_string()) + "\""));
  }
  check_well_formed(svg);
  check_labels(draw_chain(r));
}

ValidationTrace secure_trace() {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ZoneTrace ex;
  ex.zone = N("example.");
  ex.ds_source = DsSource::Parent;
  const auto ksk = dnskey(257, 7);
  const auto zsk = dnskey(256, 8);
  ex.ds_rdatas = {ds(key_tag(ksk), 15, 2)};
  const uint16_t root_zsk = key_tag(dnskey(256, 2));
  ex.ds = rrset(N("example."), RRType::DS, ex.ds_rdatas,
                {rrsig(RRType::DS, root_zsk, Name::root(), kNow - kDay, kNow + 10 * kDay)},
                Name::root(), Security::Secure, Reason::None, "", root_zsk);
  ex.dnskeys =
      rrset(N("example."), RRType::DNSKEY, {ksk, zsk},
            {rrsig(RRType::DNSKEY, key_tag(ksk), N("example."), kNow - kDay, kNow + 5 * kDay)},
            N("example."), Security::Secure, Reason::None, "", key_tag(ksk));
  ex.matches = {DsKeyMatch{key_tag(ksk), 15, 2, key_tag(ksk), false}};
  ex.verdict = Verdict{Security::Secure, Reason::None, N("example."), ""};
  t.zones.push_back(ex);
  t.answer.push_back(
      rrset(N("www.example."), RRType::A, {{192, 0, 2, 1}},
            {rrsig(RRType::A, key_tag(zsk), N("example."), kNow - kDay, kNow + 3 * kDay)},
            N("example."), Security::Secure, Reason::None, "", key_tag(zsk)));
  return t;
}

}  // namespace

TEST_CASE("picture: a secure chain has every zone, key, DS and RRSIG, all green") {
  const ValidationTrace t = secure_trace();
  const Report r =
      build_report(input(t, Verdict{Security::Secure, Reason::None, N("www.example."), ""}));
  const Picture g = chain_graph(r);
  REQUIRE(g.zones.size() == 2);
  CHECK(g.zones[0].name == ".");
  CHECK(g.zones[1].name == "example.");
  for (const auto& e : g.edges) CHECK_MESSAGE(e.tone == Tone::Good, e.from << " -> " << e.to);
  const std::string svg = render_svg(r);
  CHECK(svg.find("id=\"z0\"") < svg.find("id=\"z1\""));  // the Report's order
  CHECK(contains(svg, "data-verdict=\"secure\""));
  CHECK_FALSE(contains(svg, "failing"));
  CHECK_FALSE(contains(svg, "<script"));
  CHECK(contains(svg, "class=\"node ksk good\""));
  CHECK(contains(svg, "class=\"node zsk"));
  CHECK(contains(svg, "class=\"edge ds-match good\""));
  check_complete(r);
  const std::string dot = render_dot(r);
  CHECK(dot.starts_with("digraph \"chain of trust\" {"));
  CHECK(contains(dot, "subgraph \"cluster_z1\""));
}

TEST_CASE("picture: a DS that matches no DNSKEY is a red dangling edge, labelled") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ZoneTrace ex;
  ex.zone = N("example.com.");
  ex.ds_source = DsSource::Parent;
  ex.ds_rdatas = {ds(2371, 13, 2)};
  ex.ds = rrset(ex.zone, RRType::DS, ex.ds_rdatas, {}, Name::root(), Security::Secure);
  ex.dnskeys = rrset(ex.zone, RRType::DNSKEY, {dnskey(257, 40), dnskey(256, 41)}, {}, ex.zone,
                     Security::Indeterminate);
  ex.verdict = Verdict{Security::Bogus, Reason::NoDnskeyMatchesDs, ex.zone, "DS 2371/13/2"};
  t.zones.push_back(ex);
  const Report r = build_report(input(t, ex.verdict, "www.example.com."));
  const std::string svg = render_svg(r);
  CHECK(contains(svg, "class=\"edge ds-match bad failing\""));
  CHECK(contains(svg, "data-label=\"DS 2371 matches no DNSKEY\""));
  CHECK(contains(svg, "class=\"node missing bad failing\""));
  CHECK(contains(svg, "data-zone=\"example.com.\" data-security=\"bogus\""));
  CHECK(contains(render_dot(r), "label=\"DS 2371 matches no DNSKEY\""));
  // Its DNSKEY RRset, signed by a key no DS names: said so, not "does not verify".
  ValidationTrace signed_by_other = t;
  const auto ksk = dnskey(257, 40);
  signed_by_other.zones[1].dnskeys->rrsigs = {
      rrsig(RRType::DNSKEY, key_tag(ksk), ex.zone, kNow - kDay, kNow + kDay)};
  signed_by_other.zones[1].dnskeys->security = Security::Bogus;
  const Report r2 = build_report(input(signed_by_other, ex.verdict, "www.example.com."));
  CHECK(contains(render_svg(r2), "is named by no DS"));
  CHECK_FALSE(contains(render_svg(r2), "does not verify"));
  check_complete(r2);
  check_complete(r);
}

TEST_CASE("picture: an expired RRSIG is a red edge saying how long ago") {
  ValidationTrace t = secure_trace();
  auto& a = t.answer[0];
  a.rrsigs = {
      rrsig(RRType::A, key_tag(dnskey(256, 8)), N("example."), kNow - 40 * kDay, kNow - 10 * kDay)};
  a.security = Security::Bogus;
  a.reason = Reason::SignatureExpired;
  a.verified_by = 0;
  const Verdict v{Security::Bogus, Reason::SignatureExpired, N("example."), "expired"};
  const Report r = build_report(input(t, v));
  const std::string svg = render_svg(r);
  CHECK(contains(svg, "class=\"edge rrsig bad failing\""));
  CHECK(contains(svg, "expired 10 days ago"));
  check_complete(r);
}

TEST_CASE("picture: 6 zones deep, 10 keys in a zone and 20 RRSIGs stay legible") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  const char* names[] = {"test.", "a.test.", "b.a.test.", "c.b.a.test.", "d.c.b.a.test."};
  Name parent = Name::root();
  uint16_t parent_zsk = key_tag(dnskey(256, 2));
  for (int i = 0; i < 5; ++i) {
    ZoneTrace z;
    z.zone = N(names[i]);
    z.ds_source = DsSource::Parent;
    Rdatas keys;
    for (int k = 0; k < (i == 4 ? 10 : 2); ++k) {
      keys.push_back(dnskey(k == 0 ? 257 : 256, static_cast<uint8_t>(10 * i + k + 20)));
    }
    z.ds_rdatas = {ds(key_tag(keys[0]), 15, 2)};
    z.ds = rrset(z.zone, RRType::DS, z.ds_rdatas,
                 {rrsig(RRType::DS, parent_zsk, parent, kNow - kDay, kNow + kDay)}, parent,
                 Security::Secure, Reason::None, "", parent_zsk);
    Rdatas sigs;  // the last zone: 20 expired RRSIGs over its DNSKEY RRset, by every key
    for (int s = 0; s < (i == 4 ? 20 : 1); ++s) {
      const auto& by = keys[static_cast<size_t>(s) % keys.size()];
      sigs.push_back(
          i == 4
              ? rrsig(RRType::DNSKEY, key_tag(by), z.zone, kNow - 9 * kDay, kNow - (s + 1) * 3600)
              : rrsig(RRType::DNSKEY, key_tag(keys[0]), z.zone, kNow - kDay, kNow + kDay));
    }
    z.dnskeys = rrset(
        z.zone, RRType::DNSKEY, keys, sigs, z.zone, i == 4 ? Security::Bogus : Security::Secure,
        i == 4 ? Reason::SignatureExpired : Reason::None, "", i == 4 ? 0 : key_tag(keys[0]));
    z.matches = {DsKeyMatch{key_tag(keys[0]), 15, 2, key_tag(keys[0]), false}};
    z.verdict = i == 4 ? Verdict{Security::Bogus, Reason::SignatureExpired, z.zone, "expired"}
                       : Verdict{Security::Secure, Reason::None, z.zone, ""};
    t.zones.push_back(z);
    parent = z.zone;
    parent_zsk = key_tag(keys[1]);
  }
  const Report r = build_report(input(t, t.zones.back().verdict, "www.d.c.b.a.test."));
  const Picture p = draw_chain(r);
  REQUIRE(p.zones.size() == 6);
  size_t labelled = 0;
  for (const auto& e : p.edges) labelled += e.label.empty() ? 0 : 1;
  CHECK(labelled >= 20);
  for (size_t i = 1; i < p.zones.size(); ++i) CHECK(p.zones[i - 1].box.bottom() < p.zones[i].box.y);
  check_complete(r);
  // explain --server carries a report in one DNS message (65535 octets): the heaviest chain
  // the issue names fits in every format (measured: SVG 28 kB, HTML 36 kB, DOT 7 kB).
  CHECK(render_svg(r).size() < 60000);
  CHECK(render_html(r).size() < 60000);
  CHECK(render_dot(r).size() < 60000);
}

TEST_CASE("picture: names and text from DNS data are escaped in SVG, DOT and HTML") {
  CHECK(xml_escape("a<b\"c&d'e>") == "a&lt;b&quot;c&amp;d&#39;e&gt;");
  CHECK(printable_utf8("caf\xC3\xA9 \xFF\xC3(\x01") == "caf\xC3\xA9 \\xFF\\xC3(\\x01");
  CHECK(printable_utf8("\xED\xA0\x80") == "\\xED\\xA0\\x80");  // a UTF-16 surrogate
  CHECK(dot_escape("a\"b\\c") == "a\\\"b\\\\c");
  ValidationTrace t = secure_trace();
  const std::vector<uint8_t> wire{7,   'a', '<', 'b', '"', '&', 0xFF, 0xC3, 7,
                                  'e', 'x', 'a', 'm', 'p', 'l', 'e',  0};
  const Name odd = *Name::from_wire(wire);
  t.answer[0].owner = odd;
  t.answer[0].type = RRType::TXT;
  t.answer[0].rdatas = {{8, '<', 's', '>', '&', '"', 0xFE, 0x00, '\n'}};
  const Report r =
      build_report(input(t, Verdict{Security::Secure, Reason::None, odd, ""}, "x.example."));
  const std::string svg = render_svg(r);
  CHECK_FALSE(contains(svg, "<s>"));
  check_complete(r);
  const std::string dot = render_dot(r);
  CHECK_FALSE(contains(dot, "\xFF"));
  const std::string html = render_html(r);
  CHECK(contains(html, "<!DOCTYPE html>"));
  CHECK_FALSE(contains(html, "<s>"));
  CHECK_FALSE(contains(html, "\xFF"));
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "src="));
  CHECK_FALSE(contains(html, "href=\"http"));
  CHECK(contains(html, "id=\"verdict\" class=\"verdict secure\""));
}

TEST_CASE("picture: the HTML page holds the verdict, cause, next step, picture and report") {
  ValidationTrace t = secure_trace();
  t.answer[0].rrsigs = {
      rrsig(RRType::A, key_tag(dnskey(256, 8)), N("example."), kNow - 9 * kDay, kNow - 2 * kDay)};
  t.answer[0].security = Security::Bogus;
  t.answer[0].reason = Reason::SignatureExpired;
  t.answer[0].verified_by = 0;
  const Report r =
      build_report(input(t, Verdict{Security::Bogus, Reason::SignatureExpired, N("example."), ""}));
  const std::string html = render_html(r, PageLinks::Dashboard);
  CHECK(contains(html, "<span id=\"verdict\" class=\"verdict bogus\">bogus</span>"));
  CHECK(contains(html, "<dd id=\"cause\">"));
  CHECK(contains(html, "<dd id=\"next-step\">"));
  CHECK(contains(html, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(contains(html, "<pre id=\"report\">"));
  CHECK(contains(html, "<a href=\"/\">dashboard</a>"));
  CHECK(contains(html, "expired 2 days ago"));
  CHECK(contains(html, "\nzone example.  secure"));  // the text report keeps its lines
  CHECK(xml_escape_lines("a<b\n\tc\x01") == "a&lt;b\n\tc\\x01");
}
