// tests/proxy/control_test.cc: the control protocol (proxy/control/protocol.h): request
// lines and words, durations, replies, the line reader's bounds; the negative trust anchor
// table with its ends (proxy/negative_anchors.h); the command line's argument split and the
// stats JSON (proxy/control/control_command.h, control_service.h). The socket and the daemon
// are tested end to end in tests/integration/control_test.cc.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/control/control_command.h"
#include "proxy/control/control_service.h"
#include "proxy/control/protocol.h"
#include "proxy/negative_anchors.h"

namespace dnsp::proxy {
namespace {

ControlRequest parsed(std::string_view line) {
  const auto r = parse_control_request(line);
  REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error()));
  return *r;
}
std::string error_of(std::string_view line) {
  const auto r = parse_control_request(line);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

TEST_CASE("control protocol: every command parses, names normalised") {
  CHECK(parsed("flush WWW.Example.COM") ==
        ControlRequest{ControlCommand::Flush, "www.example.com.", std::nullopt, false});
  CHECK(parsed("flush-zone dsmismatch.test.") ==
        ControlRequest{ControlCommand::FlushZone, "dsmismatch.test.", std::nullopt, false});
  CHECK(parsed("flush-zone .").name == ".");
  CHECK(parsed("flush-bogus").command == ControlCommand::FlushBogus);
  CHECK(parsed("flush-all\r").command == ControlCommand::FlushAll);
  CHECK(parsed("nta add x.test") ==
        ControlRequest{ControlCommand::NtaAdd, "x.test.", std::nullopt, false});
  CHECK(parsed("nta add x.test --for 2h") ==
        ControlRequest{ControlCommand::NtaAdd, "x.test.", 7200, false});
  CHECK(parsed("nta add --for 90s x.test").for_seconds == 90);
  CHECK(parsed("hotspot on").command == ControlCommand::HotspotOn);
  CHECK_FALSE(parsed("hotspot on").for_seconds.has_value());
  CHECK(parsed("hotspot on --for 15m").for_seconds == 900);
  CHECK(parsed("hotspot off").command == ControlCommand::HotspotOff);
  CHECK(parsed("nta remove X.test").name == "x.test.");
  CHECK(parsed("nta list").command == ControlCommand::NtaList);
  CHECK(parsed("reload").command == ControlCommand::Reload);
  CHECK_FALSE(parsed("stats").json);
  CHECK(parsed("stats --json").json);
  CHECK(parsed("forward list").command == ControlCommand::ForwardList);
  CHECK(parsed("  upstreams  ").command == ControlCommand::Upstreams);
}

TEST_CASE("control protocol: a request formatted is parsed back the same") {
  for (std::string_view line :
       {"flush a.example.", "flush-zone .", "flush-bogus", "flush-all", "nta add x.test. --for 60s",
        "nta add x.test.", "nta remove x.test.", "nta list", "reload", "stats", "stats --json",
        "hotspot on", "hotspot on --for 600s", "hotspot off", "forward list", "upstreams"}) {
    CAPTURE(line);
    const ControlRequest r = parsed(line);
    CHECK(format_control_request(r) == line);
    CHECK(parsed(format_control_request(r)) == r);
  }
}

TEST_CASE("control protocol: bad requests say what is wrong and what is expected") {
  CHECK(error_of("nta add a..b") ==
        "nta add: \"a..b\" is not a domain name other than the root (letters, digits, '-', "
        "'_'; labels of 1-63 octets)");
  CHECK(error_of("nta add .").starts_with("nta add: \".\" is not a domain name other than"));
  CHECK(error_of("flush") == "flush: missing the name (usage: flush NAME)");
  CHECK(error_of("flush-zone a b") == "flush-zone: unexpected \"b\" (usage: flush-zone ZONE)");
  CHECK(error_of("hotspot on --for 25h") ==
        "hotspot on: --for \"25h\" is not a duration from 1s to 1d (e.g. 90s, 15m, 2h, 7d)");
  CHECK(error_of("hotspot") == "hotspot: expected \"hotspot on [--for TIME]\" or \"hotspot off\"");
  CHECK(error_of("nta add x.test --for") ==
        "nta add: --for needs a duration, e.g. --for 2h (90s, 15m, 2h, 7d)");
  CHECK(error_of("nta add x.test --for soon") ==
        "nta add: --for \"soon\" is not a duration from 1s to 365d (e.g. 90s, 15m, 2h, 7d)");
  CHECK(error_of("nta") ==
        "nta: expected \"nta add ZONE [--for TIME]\", \"nta remove ZONE\" or \"nta list\"");
  CHECK(error_of("forward") == "forward: expected \"forward list\"");
  CHECK(error_of("reload now") == "reload: unexpected \"now\" (usage: reload)");
  CHECK(error_of("flush-all --json") == "flush-all: unexpected \"--json\" (usage: flush-all)");
  CHECK(error_of("shutdown").starts_with("unknown command \"shutdown\"; the commands are:\n"));
  CHECK(error_of("").starts_with("no command given"));
  CHECK(error_of("flush a\x01.example") == "request line: not printable ASCII");
  CHECK(error_of(std::string(kMaxControlLine, 'a')) == "request line too long");
}

TEST_CASE("control protocol: durations from 1 s to 365 days") {
  CHECK(parse_control_duration("90") == 90);
  CHECK(parse_control_duration("90s") == 90);
  CHECK(parse_control_duration("15m") == 900);
  CHECK(parse_control_duration("2h") == 7200);
  CHECK(parse_control_duration("7d") == 604800);
  CHECK(parse_control_duration("1h30m") == 5400);
  CHECK(parse_control_duration("365d") == 365 * 86400);
  CHECK_FALSE(parse_control_duration("366d").has_value());
  CHECK_FALSE(parse_control_duration("0").has_value());
  CHECK_FALSE(parse_control_duration("h").has_value());
  CHECK_FALSE(parse_control_duration("-5s").has_value());
  CHECK_FALSE(parse_control_duration("1.5h").has_value());
  CHECK_FALSE(parse_control_duration("99999999999999999s").has_value());
}

TEST_CASE("control protocol: replies are ok or error, then text") {
  CHECK(format_control_reply({true, "flushed 1 answer"}) == "ok\nflushed 1 answer\n");
  CHECK(format_control_reply({false, "no such anchor\n"}) == "error\nno such anchor\n");
  CHECK(parse_control_reply("ok\nflushed\n") == ControlReply{true, "flushed\n"});
  CHECK(parse_control_reply("error\nbad\n") == ControlReply{false, "bad\n"});
  CHECK_FALSE(parse_control_reply("HTTP/1.1 200 OK\r\n").has_value());
  CHECK_FALSE(parse_control_reply("ok").has_value());
}

TEST_CASE("control protocol: the line reader takes one line, bounded") {
  ControlLineReader r;
  const std::string part = "flush-zone exa";
  CHECK(r.feed({reinterpret_cast<const uint8_t*>(part.data()), part.size()}) ==
        ControlLineReader::State::Incomplete);
  const std::string rest = "mple.\nignored";
  CHECK(r.feed({reinterpret_cast<const uint8_t*>(rest.data()), rest.size()}) ==
        ControlLineReader::State::Line);
  CHECK(r.line() == "flush-zone example.");
  ControlLineReader big;
  const std::string flood(kMaxControlLine, 'x');
  CHECK(big.feed({reinterpret_cast<const uint8_t*>(flood.data()), flood.size()}) ==
        ControlLineReader::State::TooLong);
}

TEST_CASE("negative anchors: configured ones have no end unless given; added ones expire") {
  NegativeAnchors ntas;
  const auto expired =
      ntas.set_configured({{"a.test.", std::nullopt}, {"b.test.", 2000}, {"old.test.", 500}}, 1000);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].zone == "old.test.");
  CHECK_FALSE(ntas.add("c.test.", 1500));
  CHECK(ntas.next_expiry() == 1500);
  CHECK(ntas.in_force() == std::vector<config::NegativeTrustAnchor>{
                               {"a.test.", std::nullopt}, {"b.test.", 2000}, {"c.test.", 1500}});
  CHECK(ntas.expire(1499).empty());
  const auto gone = ntas.expire(1500);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == NtaEntry{"c.test.", NtaSource::Control, 1500});
  CHECK(ntas.expire(2000).size() == 1);  // b.test. too: RFC 7646 §2, temporary
  CHECK(ntas.entries() == std::vector<NtaEntry>{{"a.test.", NtaSource::Config, std::nullopt}});
  CHECK(ntas.remove("a.test."));
  CHECK_FALSE(ntas.remove("a.test."));
}

TEST_CASE("negative anchors: a reload keeps added anchors unless the file names the zone") {
  NegativeAnchors ntas;
  (void)ntas.set_configured({{"a.test.", std::nullopt}}, 0);
  CHECK(ntas.add("x.test.", 100) == false);
  CHECK(ntas.add("a.test.", 100) == true);  // replaces the configured one
  CHECK(ntas.entries() == std::vector<NtaEntry>{{"x.test.", NtaSource::Control, 100},
                                                {"a.test.", NtaSource::Control, 100}});
  (void)ntas.set_configured({{"a.test.", std::nullopt}}, 10);
  CHECK(ntas.entries() == std::vector<NtaEntry>{{"a.test.", NtaSource::Config, std::nullopt},
                                                {"x.test.", NtaSource::Control, 100}});
}

TEST_CASE("control command: the words after 'control' are its own") {
  std::vector<std::string_view> args{"--config", "control", "control", "nta",
                                     "add",      "x.test",  "--for",   "2s"};
  const auto words = take_control_arguments(args);
  REQUIRE(words.has_value());
  CHECK(*words == std::vector<std::string>{"nta", "add", "x.test", "--for", "2s"});
  CHECK(args == std::vector<std::string_view>{"--config", "control", "control"});
  std::vector<std::string_view> explain{"explain", "control.example"};
  CHECK_FALSE(take_control_arguments(explain).has_value());
  std::vector<std::string_view> none{"--listen", "127.0.0.1:53"};
  CHECK_FALSE(take_control_arguments(none).has_value());
}

TEST_CASE("control stats: the Prometheus text as JSON, one key per sample") {
  const std::string json = prometheus_to_json(
      "# HELP a_total A.\n# TYPE a_total counter\na_total 3\nb{kind=\"x\\\"y\"} 1.5\nc NaN\n");
  CHECK(json == "{\n  \"a_total\": 3,\n  \"b{kind=\\\"x\\\\\\\"y\\\"}\": 1.5,\n  \"c\": null\n}\n");
}

TEST_CASE("control upstreams: the state derives from the last answer and failure") {
  UpstreamRow row;
  CHECK(upstream_state(row) == "unused");
  row.queries = 3;
  row.answered = 3;
  row.last_answer = 100;
  CHECK(upstream_state(row) == "up");
  row.failed = 1;
  row.last_failure = 101;
  CHECK(upstream_state(row) == "failing");
  row.last_answer = 102;
  CHECK(upstream_state(row) == "up");
}

}  // namespace
}  // namespace dnsp::proxy
