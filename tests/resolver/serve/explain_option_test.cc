// tests/resolver: the explain EDNS option (resolver/serve/explain_option.h) from the client's query
// through check_query to the proxy's reply: formats, a malformed option, and replies fitted
// to one TCP message (text cut with a marker, JSON left out).
#include "resolver/serve/explain_option.h"

#include <doctest/doctest.h>

#include <string>
#include <variant>

#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/wire/message_builder.h"

using namespace dnsp::resolver;

namespace {

Name N(const char* text) { return *Name::from_text(text); }

ClientQuery accepted(const std::vector<uint8_t>& packet) {
  const QueryCheck check = check_query(packet);
  const auto* q = std::get_if<ClientQuery>(&check);
  REQUIRE(q != nullptr);
  return *q;
}

// A query with the explain option carrying `payload`.
std::vector<uint8_t> query_with(std::vector<uint8_t> payload) {
  MessageBuilder b(512);
  b.set_header(7, flag::kRD);
  (void)b.add_question(N("www.example."), RRType::AAAA, RRClass::IN);
  const EdnsOption option{kEdnsOptionExplain, payload};
  EdnsOut opt;
  opt.flags = kEdnsDo;
  opt.options = {&option, 1};
  (void)b.add_opt(opt);
  return b.finish();
}

}  // namespace

TEST_CASE("explain option: check_query finds the request and its format") {
  for (auto format : {ExplainFormat::Text, ExplainFormat::TextColor, ExplainFormat::Json,
                      ExplainFormat::Dot, ExplainFormat::Svg, ExplainFormat::Html}) {
    const ClientQuery q =
        accepted(explain_query({N("www.example."), RRType::AAAA, RRClass::IN}, 0x1234, format));
    REQUIRE(q.explain);
    CHECK(q.explain->well_formed);
    CHECK(q.explain->format == format);
    CHECK(q.dnssec_ok);
    CHECK_FALSE(q.checking_disabled());
    CHECK(q.question.name == N("www.example."));
    CHECK(q.question.type == RRType::AAAA);
  }
  // An ordinary query has none.
  CHECK_FALSE(accepted(upstream_query({N("www.example."), RRType::A, RRClass::IN}, 1)).explain);
}

TEST_CASE("explain option: an unknown version or format is flagged, not taken as text") {
  for (const auto& payload : {std::vector<uint8_t>{}, std::vector<uint8_t>{2, 0},
                              std::vector<uint8_t>{1, 6}, std::vector<uint8_t>{1, 0, 0}}) {
    const ClientQuery q = accepted(query_with(payload));
    REQUIRE(q.explain);
    CHECK_FALSE(q.explain->well_formed);
  }
}

TEST_CASE("explain option: the full parse path finds it too (a query of uncommon shape)") {
  // Class CH makes check_query leave the fast path; it is then refused, with the request seen.
  MessageBuilder b(512);
  b.set_header(7, flag::kRD);
  (void)b.add_question(N("www.example."), RRType::A, RRClass::CH);
  const auto payload = explain_request_payload(ExplainFormat::Json);
  const EdnsOption option{kEdnsOptionExplain, payload};
  EdnsOut opt;
  opt.options = {&option, 1};
  (void)b.add_opt(opt);
  const QueryCheck check = check_query(b.finish());
  const auto* r = std::get_if<RejectQuery>(&check);
  REQUIRE(r != nullptr);
  REQUIRE(r->query.explain);
  CHECK(r->query.explain->format == ExplainFormat::Json);
}

TEST_CASE("explain option: the reply carries exit code and report back to the client") {
  const ClientQuery q = accepted(
      explain_query({N("www.example."), RRType::A, RRClass::IN}, 0x4321, ExplainFormat::Text));
  ExplainReply out;
  out.exit_code = 2;
  out.report = "www.example. A  upstream 10.0.0.1:53\n\nverdict  bogus\n";
  const auto packet = explain_reply(q, out);
  auto m = Message::parse(packet);
  REQUIRE(m);
  CHECK(m->id() == 0x4321);
  CHECK(m->has_flag(flag::kQR));
  CHECK(m->rcode() == RCode::NoError);
  REQUIRE(m->questions().size() == 1);
  CHECK(m->questions()[0].name == N("www.example."));
  auto back = find_explain_reply(*m);
  REQUIRE(back);
  CHECK(back->exit_code == 2);
  CHECK(back->status == ExplainStatus::Complete);
  CHECK(back->report == out.report);
  // A reply without the option (a server that ignored it) has no trace.
  auto plain = error_reply(q, EchoQuestion::Yes, RCode::NoError, nullptr);
  auto pm = Message::parse(plain);
  REQUIRE(pm);
  CHECK_FALSE(find_explain_reply(*pm));
}

TEST_CASE("explain option: a text report too large for one message is cut with a marker") {
  const ClientQuery q =
      accepted(explain_query({N("www.example."), RRType::A, RRClass::IN}, 1, ExplainFormat::Text));
  ExplainReply out;
  out.exit_code = 0;
  // 70 000 octets of two-octet UTF-8 characters ("é"): the cut must not split one.
  for (int i = 0; i < 35000; ++i) out.report += "\xC3\xA9";
  const auto packet = explain_reply(q, out);
  CHECK(packet.size() <= 65535);
  auto m = Message::parse(packet);
  REQUIRE(m);
  auto back = find_explain_reply(*m);
  REQUIRE(back);
  CHECK(back->status == ExplainStatus::Truncated);
  CHECK(back->exit_code == 0);
  const size_t marker = back->report.find("\n[... the trace is longer than one DNS message");
  REQUIRE(marker != std::string::npos);
  CHECK(marker % 2 == 0);  // whole characters before it
  CHECK(back->report.substr(0, 4) == "\xC3\xA9\xC3\xA9");
  CHECK(back->report.size() > 65000);
}

TEST_CASE("explain option: a JSON report too large for one message is left out, not cut") {
  const ClientQuery q =
      accepted(explain_query({N("www.example."), RRType::A, RRClass::IN}, 1, ExplainFormat::Json));
  ExplainReply out;
  out.exit_code = 1;
  out.report = "{\"x\": \"" + std::string(70000, 'a') + "\"}\n";
  const auto packet = explain_reply(q, out);  // outlives the Message that views it
  auto m = Message::parse(packet);
  REQUIRE(m);
  auto back = find_explain_reply(*m);
  REQUIRE(back);
  CHECK(back->status == ExplainStatus::TooLarge);
  CHECK(back->exit_code == 1);
  CHECK(back->report.empty());
}

TEST_CASE("explain option: a coloured text cut does not end inside a colour sequence") {
  ExplainReply out;
  out.report = std::string(90, 'x') + "\033[31mred\033[0m" + std::string(200, 'y');
  // Room for the 3 header octets, 92 octets and the 131-octet marker: a cut at 92 would
  // land inside "\033[31m" (octets 90-94).
  const auto payload = explain_reply_payload(out, ExplainFormat::TextColor, 3 + 92 + 131);
  const std::string text(payload.begin() + 3, payload.end());
  const size_t marker = text.find("\n[... the trace");
  REQUIRE(marker != std::string::npos);
  const std::string before = text.substr(0, marker);
  CHECK(before.size() >= 4);
  CHECK(before.substr(before.size() - 4) == "\033[0m");  // colour reset before the marker
  CHECK(before.find("\033[3") == std::string::npos);     // no half sequence
}

TEST_CASE("explain option: an SVG or HTML report too large for one message is left out whole") {
  ExplainReply out;
  out.exit_code = 2;
  out.report = "<svg>" + std::string(70000, 'x') + "</svg>";
  for (auto format : {ExplainFormat::Dot, ExplainFormat::Svg, ExplainFormat::Html}) {
    const auto payload = explain_reply_payload(out, format, 65000);
    REQUIRE(payload.size() == 3);
    CHECK(payload[2] == static_cast<uint8_t>(ExplainStatus::TooLarge));
  }
  out.report = "<svg></svg>";
  const auto fits = explain_reply_payload(out, ExplainFormat::Svg, 65000);
  CHECK(std::string(fits.begin() + 3, fits.end()) == "<svg></svg>");
}
