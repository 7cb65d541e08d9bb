// tests/config/operations_test.cc: the keys and flags for running the proxy as a service:
// [server] user/group, [dnssec] trust_anchor_state and negative_trust_anchors, and
// --health-check (config/load.h, config/command_line.h).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/command_line.h"
#include "config/load.h"
#include "printers.h"
#include "temp_dir.h"

namespace dnsp::config {
namespace {

using testing::TempDir;

LoadResult load_toml(std::string_view toml) { return parse_config(toml, "FILE"); }

std::string only_error(std::string_view toml) {
  const LoadResult result = load_toml(toml);
  REQUIRE(result.errors.size() == 1);
  return result.errors.front();
}

TEST_CASE("config: [server] user and group are read; both default to empty (no change)") {
  const LoadResult defaults = load_toml("");
  REQUIRE(defaults.ok());
  CHECK(defaults.config.user.empty());
  CHECK(defaults.config.group.empty());
  const LoadResult set = load_toml("[server]\nuser = \"nobody\"\ngroup = \"65534\"\n");
  REQUIRE(set.ok());
  CHECK(set.config.user == "nobody");
  CHECK(set.config.group == "65534");
}

TEST_CASE("config: a bad user or group is reported with file, line and key") {
  CHECK(only_error("[server]\nuser = \"\"\n") ==
        R"(FILE:2: server.user: expected a user or group name or numeric id, e.g. "nobody" or )"
        R"("65534", got "")");
  CHECK(only_error("[server]\n\ngroup = 65534\n") ==
        R"(FILE:3: server.group: expected a user or group name or numeric id, e.g. "nobody" or )"
        R"("65534", got 65534)");
  CHECK(only_error("[server]\nuser = \"nobody:nogroup\"\n").starts_with("FILE:2: server.user:"));
}

TEST_CASE("config: [dnssec] trust_anchor_state is a non-empty path, off by default") {
  CHECK(load_toml("").config.trust_anchor_state.empty());
  const LoadResult set =
      load_toml("[dnssec]\ntrust_anchor_state = \"/var/lib/dnssec-proxy/root.state\"\n");
  REQUIRE(set.ok());
  CHECK(set.config.trust_anchor_state == "/var/lib/dnssec-proxy/root.state");
  CHECK(only_error("[dnssec]\ntrust_anchor_state = \"\"\n") ==
        R"(FILE:2: dnssec.trust_anchor_state: expected a file path (a non-empty string), got "")");
}

TEST_CASE("config: [dnssec] clock is strict by default, or until-synced") {
  CHECK(load_toml("").config.clock == ClockMode::Strict);
  const LoadResult set = load_toml("[dnssec]\nclock = \"until-synced\"\n");
  REQUIRE(set.ok());
  CHECK(set.config.clock == ClockMode::UntilSynced);
  CHECK(load_toml("[dnssec]\nclock = \"strict\"\n").config.clock == ClockMode::Strict);
  CHECK(only_error("[dnssec]\n\nclock = \"Until-Synced\"\n") ==
        R"(FILE:3: dnssec.clock: expected one of "strict", "until-synced", got "Until-Synced")");
  CHECK(only_error("[dnssec]\nclock = true\n") ==
        R"(FILE:2: dnssec.clock: expected one of "strict", "until-synced", got true)");
  CHECK(to_string(ClockMode::UntilSynced) == "until-synced");
}

TEST_CASE("config: [dnssec] time_file is a non-empty path, off by default") {
  CHECK(load_toml("").config.time_file.empty());
  const LoadResult set = load_toml("[dnssec]\ntime_file = \"/var/lib/dnssec-proxy/time\"\n");
  REQUIRE(set.ok());
  CHECK(set.config.time_file == "/var/lib/dnssec-proxy/time");
  CHECK(only_error("[dnssec]\ntime_file = \"\"\n") ==
        R"(FILE:2: dnssec.time_file: expected a file path (a non-empty string), got "")");
}

TEST_CASE("config: negative trust anchors are domain names, normalised to lower case") {
  const LoadResult set =
      load_toml("[dnssec]\nnegative_trust_anchors = [\"Broken.Example\", \"badsig.test.\"]\n");
  REQUIRE(set.ok());
  CHECK(set.config.negative_trust_anchors ==
        std::vector<NegativeTrustAnchor>{{"broken.example.", std::nullopt},
                                         {"badsig.test.", std::nullopt}});
  CHECK(load_toml("").config.negative_trust_anchors.empty());
  CHECK(load_toml("[dnssec]\nnegative_trust_anchors = []\n").ok());
}

TEST_CASE("config: a bad negative trust anchor names its index; the list keeps its default") {
  const LoadResult result =
      load_toml("[dnssec]\nnegative_trust_anchors = [\"ok.example\",\n  \"a..b\", \".\", 7]\n");
  REQUIRE(result.errors.size() == 3);
  CHECK(result.errors[0] ==
        "FILE:3: dnssec.negative_trust_anchors[1]: expected a domain name other than the root "
        "(letters, digits, '-', '_'; labels of 1-63 octets), e.g. \"broken.example\", got "
        "\"a..b\"");
  CHECK(result.errors[1].starts_with("FILE:3: dnssec.negative_trust_anchors[2]: expected"));
  CHECK(result.errors[2].starts_with("FILE:3: dnssec.negative_trust_anchors[3]: expected"));
  CHECK(result.config.negative_trust_anchors.empty());
  CHECK(only_error("[dnssec]\nnegative_trust_anchors = \"x.example\"\n") ==
        R"(FILE:2: dnssec.negative_trust_anchors: expected an array of domain names, e.g. )"
        R"(["broken.example"], or of tables { zone = "broken.example", until = )"
        R"("2027-01-01T00:00:00Z" }, got "x.example")");
  CHECK(only_error("[dnssec]\nnegative_trust_anchors = [\"a.example\", \"A.example.\"]\n") ==
        "FILE:2: dnssec.negative_trust_anchors[1]: expected each domain once, got a.example. "
        "again");
}

TEST_CASE("config: a negative trust anchor may carry its expiry (RFC 7646 §2)") {
  const LoadResult set = load_toml(
      "[dnssec]\nnegative_trust_anchors = [\"plain.example\",\n"
      "  { zone = \"Late.Example\", until = \"2027-01-01T00:00:00Z\" },\n"
      "  { zone = \"native.example\", until = 2027-01-01T02:00:00+02:00 },\n"
      "  { zone = \"open.example\" }]\n");
  REQUIRE(set.ok());
  CHECK(set.config.negative_trust_anchors ==
        std::vector<NegativeTrustAnchor>{{"plain.example.", std::nullopt},
                                         {"late.example.", 1798761600},
                                         {"native.example.", 1798761600},
                                         {"open.example.", std::nullopt}});
}

TEST_CASE("config: a bad negative trust anchor table names the file, line and key") {
  CHECK(only_error("[dnssec]\nnegative_trust_anchors = [\n  { zone = \"x.example\", until = "
                   "\"next week\" }]\n") ==
        R"(FILE:3: dnssec.negative_trust_anchors[0].until: expected a UTC time, )"
        R"("2027-01-01T00:00:00Z" or a TOML date-time with an offset (2027-01-01T00:00:00Z), )"
        R"(got "next week")");
  CHECK(only_error("[dnssec]\nnegative_trust_anchors = [{ until = \"2027-01-01T00:00:00Z\" }]\n") ==
        R"(FILE:2: dnssec.negative_trust_anchors[0].zone: missing: e.g. zone = "broken.example")");
  CHECK(
      only_error("[dnssec]\nnegative_trust_anchors = [{ zone = \"x.example\", for = \"1h\" }]\n") ==
      "FILE:2: dnssec.negative_trust_anchors[0].for: unknown key (expected one of: zone, until)");
  CHECK(only_error("[dnssec]\nnegative_trust_anchors = [{ zone = \"x.example\", until = "
                   "2027-01-01T00:00:00 }]\n")
            .find("expected a UTC time") != std::string::npos);  // no offset: whose time?
}

TEST_CASE("config: parse_utc_time reads RFC 3339 UTC times only") {
  CHECK(parse_utc_time("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_utc_time("2027-01-01T00:00:00Z") == 1798761600);
  CHECK(parse_utc_time("2028-02-29T12:00:00Z") == 1835438400);
  CHECK_FALSE(parse_utc_time("2027-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_utc_time("2027-01-01T00:00:00+01:00").has_value());
  CHECK_FALSE(parse_utc_time("2027-01-01 00:00:00Z").has_value());
  CHECK_FALSE(parse_utc_time("2027-13-01T00:00:00Z").has_value());
  CHECK_FALSE(parse_utc_time("").has_value());
}

TEST_CASE("config: [control] socket is an absolute path or empty") {
  CHECK(load_toml("").config.control_socket == kDefaultControlSocket);
  CHECK_FALSE(load_toml("").config.control_socket_configured);
  const LoadResult set = load_toml("[control]\nsocket = \"/tmp/x.sock\"\n");
  REQUIRE(set.ok());
  CHECK(set.config.control_socket == "/tmp/x.sock");
  CHECK(set.config.control_socket_configured);
  CHECK(load_toml("[control]\nsocket = \"\"\n").config.control_socket.empty());
  CHECK(only_error("[control]\nsocket = \"run/x.sock\"\n") ==
        R"(FILE:2: control.socket: expected an absolute path for the control socket, e.g. )"
        R"("/run/dnssec-proxy/control.sock", or "" for none, got "run/x.sock")");
  CHECK(only_error("[control]\nport = 1\n") ==
        "FILE:2: control.port: unknown key (expected one of: socket)");
}

TEST_CASE("config: normalize_domain_name accepts host-style names and rejects the rest") {
  CHECK(normalize_domain_name("example.com") == "example.com.");
  CHECK(normalize_domain_name("_dmarc.Example.COM.") == "_dmarc.example.com.");
  CHECK(normalize_domain_name(std::string(63, 'a') + ".example") ==
        std::string(63, 'a') + ".example.");
  CHECK_FALSE(normalize_domain_name(std::string(64, 'a') + ".example"));
  CHECK_FALSE(normalize_domain_name(""));
  CHECK_FALSE(normalize_domain_name("."));
  CHECK_FALSE(normalize_domain_name("a b.example"));
  CHECK_FALSE(normalize_domain_name("example..com"));
  CHECK_FALSE(normalize_domain_name("*.example"));
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  CHECK_FALSE(normalize_domain_name(long_name + "abcdefghi"));
}

TEST_CASE("config: the new keys are known to the unknown-key message of their table") {
  const std::string e = only_error("[server]\nusr = \"nobody\"\n");
  CHECK(e.find("user, group") != std::string::npos);
  const std::string d = only_error("[dnssec]\nnta = []\n");
  CHECK(d.find("trust_anchor_state, negative_trust_anchors") != std::string::npos);
}

TEST_CASE("config: [server] shutdown_grace is seconds 0-300, 0 by default") {
  CHECK(load_toml("").config.shutdown_grace == 0);
  const LoadResult set = load_toml("[server]\nshutdown_grace = 5\n");
  REQUIRE(set.ok());
  CHECK(set.config.shutdown_grace == 5);
  CHECK(only_error("[server]\n\nshutdown_grace = 301\n") ==
        "FILE:3: server.shutdown_grace: expected an integer from 0 to 300 (seconds), got 301");
  CHECK(only_error("[server]\nshutdown_grace = \"5s\"\n") ==
        R"(FILE:2: server.shutdown_grace: expected an integer from 0 to 300 (seconds), got "5s")");
}

TEST_CASE("config: [server] udp_receive_buffer is octets 0-256 MiB, unset by default") {
  CHECK_FALSE(load_toml("").config.udp_receive_buffer.has_value());
  const LoadResult set = load_toml("[server]\nudp_receive_buffer = 8388608\n");
  REQUIRE(set.ok());
  CHECK(set.config.udp_receive_buffer == 8388608u);
  CHECK(load_toml("[server]\nudp_receive_buffer = 0\n").config.udp_receive_buffer == 0u);
  CHECK(only_error("[server]\nudp_receive_buffer = 268435457\n") ==
        "FILE:2: server.udp_receive_buffer: expected an integer from 0 to 268435456 (octets; 0: "
        "the system's default), got 268435457");
  CHECK(
      only_error("[server]\nudp_receive_buffer = \"4m\"\n") ==
      R"(FILE:2: server.udp_receive_buffer: expected an integer from 0 to 268435456 (octets; 0: the system's default), got "4m")");
}

TEST_CASE("config: [server] reuse_port is a boolean, off by default") {
  CHECK_FALSE(load_toml("").config.reuse_port);
  const LoadResult set = load_toml("[server]\nreuse_port = true\n");
  REQUIRE(set.ok());
  CHECK(set.config.reuse_port);
  CHECK(only_error("[server]\nreuse_port = 1\n") ==
        "FILE:2: server.reuse_port: expected true or false, got 1");
}

TEST_CASE("config: [log] queries is off by default; queries_per_second bounds its lines") {
  const LoadResult defaults = load_toml("");
  CHECK_FALSE(defaults.config.log_queries);
  CHECK(defaults.config.log_queries_per_second == 100);
  const LoadResult set = load_toml("[log]\nqueries = true\nqueries_per_second = 10\n");
  REQUIRE(set.ok());
  CHECK(set.config.log_queries);
  CHECK(set.config.log_queries_per_second == 10);
  CHECK(only_error("[log]\nqueries = \"yes\"\n") ==
        R"(FILE:2: log.queries: expected true or false, got "yes")");
  CHECK(only_error("[log]\nqueries_per_second = 0\n") ==
        "FILE:2: log.queries_per_second: expected an integer from 1 to 100000 (lines per "
        "second), got 0");
}

CommandLineResult parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> list(args);
  return parse_arguments(list);
}

TEST_CASE("command line: --health-check takes the proxy's address, port 53 by default") {
  const CommandLineResult a = parse({"--health-check", "127.0.0.1:5353"});
  REQUIRE(a.ok());
  CHECK(a.command_line.health_check == Endpoint{"127.0.0.1", 5353});
  const CommandLineResult b = parse({"--health-check=::1"});
  REQUIRE(b.ok());
  CHECK(b.command_line.health_check == Endpoint{"::1", 53});
  CHECK_FALSE(parse({}).command_line.health_check.has_value());
  const CommandLineResult bad = parse({"--health-check", "localhost"});
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0] ==
        "--health-check: expected the proxy's IP address with optional port (e.g. "
        "127.0.0.1:53), got \"localhost\"; see dnssec-proxy --help");
  CHECK(parse({"--health-check"}).errors.size() == 1);
  CHECK(usage_text().find("--health-check ADDR[:PORT]") != std::string::npos);
}

TEST_CASE("command line: --health-check http://ADDR:PORT/PATH asks the metrics listener") {
  const CommandLineResult ready = parse({"--health-check", "http://127.0.0.1:9153/ready"});
  REQUIRE(ready.ok());
  CHECK_FALSE(ready.command_line.health_check.has_value());
  REQUIRE(ready.command_line.health_check_http.has_value());
  CHECK(ready.command_line.health_check_http->endpoint == Endpoint{"127.0.0.1", 9153});
  CHECK(ready.command_line.health_check_http->path == "/ready");
  const CommandLineResult bare = parse({"--health-check=http://[::1]:9153"});
  REQUIRE(bare.ok());
  CHECK(bare.command_line.health_check_http->endpoint == Endpoint{"::1", 9153});
  CHECK(bare.command_line.health_check_http->path == "/health");
  const CommandLineResult name = parse({"--health-check", "http://localhost:9153/health"});
  REQUIRE(name.errors.size() == 1);
  CHECK(name.errors[0] ==
        "--health-check: expected http://ADDR:PORT/PATH with an IP address (e.g. "
        "http://127.0.0.1:9153/health), got \"http://localhost:9153/health\"; see "
        "dnssec-proxy --help");
  CHECK(parse({"--health-check", "http://127.0.0.1:9153/a b"}).errors.size() == 1);
  CHECK(usage_text().find("--health-check http://ADDR:PORT/PATH") != std::string::npos);
}

}  // namespace

TEST_CASE("config: [upstream] strategy is order by default, hedge on") {
  const LoadResult plain = load_toml("");
  CHECK(plain.config.upstream_strategy == UpstreamStrategy::Order);
  CHECK(plain.config.upstream_hedge);
  const LoadResult set = load_toml("[upstream]\nstrategy = \"round-robin\"\nhedge = false\n");
  REQUIRE(set.ok());
  CHECK(set.config.upstream_strategy == UpstreamStrategy::RoundRobin);
  CHECK_FALSE(set.config.upstream_hedge);
  CHECK(load_toml("[upstream]\nstrategy = \"fastest\"\n").config.upstream_strategy ==
        UpstreamStrategy::Fastest);
  CHECK(
      only_error("[upstream]\nstrategy = \"random\"\n") ==
      R"(FILE:2: upstream.strategy: expected one of "order", "fastest", "round-robin", got "random")");
  CHECK(only_error("[upstream]\nhedge = 1\n") ==
        R"(FILE:2: upstream.hedge: expected true or false, got 1)");
  CHECK(to_string(UpstreamStrategy::RoundRobin) == "round-robin");
}

}  // namespace dnsp::config
