// tests/config/dnstap_test.cc: the [dnstap] table: off by default, a Unix socket or a TCP
// collector (not both), identity and version, the four message switches, errors with file,
// line and key.
#include <doctest/doctest.h>

#include <string>

#include "config/load.h"

namespace dnsp::config {
namespace {

TEST_CASE("config: [dnstap] absent means no dnstap, every message type on when enabled") {
  const auto r = parse_config("", "d.toml");
  REQUIRE(r.ok());
  CHECK_FALSE(r.config.dnstap.enabled());
  CHECK(r.config.dnstap.client_queries);
  CHECK(r.config.dnstap.client_responses);
  CHECK(r.config.dnstap.forwarder_queries);
  CHECK(r.config.dnstap.forwarder_responses);
}

TEST_CASE("config: [dnstap] socket, identity, version and switches are read") {
  const auto r = parse_config(
      "[dnstap]\nsocket = \"/run/dnstap.sock\"\nidentity = \"ns1\"\nversion = \"v9\"\n"
      "client_queries = false\nforwarder_responses = false\n",
      "d.toml");
  REQUIRE(r.ok());
  CHECK(r.warnings.empty());
  const DnstapSettings& d = r.config.dnstap;
  CHECK(d.enabled());
  CHECK(d.socket == "/run/dnstap.sock");
  CHECK_FALSE(d.tcp.has_value());
  CHECK(d.identity == "ns1");
  CHECK(d.version == "v9");
  CHECK_FALSE(d.client_queries);
  CHECK(d.client_responses);
  CHECK(d.forwarder_queries);
  CHECK_FALSE(d.forwarder_responses);
}

TEST_CASE("config: [dnstap] tcp takes an address with a port") {
  auto r = parse_config("[dnstap]\ntcp = \"127.0.0.1:6000\"\n", "d.toml");
  REQUIRE(r.ok());
  REQUIRE(r.config.dnstap.tcp.has_value());
  CHECK(*r.config.dnstap.tcp == Endpoint{"127.0.0.1", 6000});
  CHECK(r.config.dnstap.enabled());
  r = parse_config("[dnstap]\ntcp = \"[::1]:6000\"\n", "d.toml");
  REQUIRE(r.ok());
  CHECK(*r.config.dnstap.tcp == Endpoint{"::1", 6000});
}

TEST_CASE("config: [dnstap] errors name file, line and key") {
  auto r = parse_config("[dnstap]\ntcp = \"127.0.0.1\"\n", "d.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rfind("d.toml:2: dnstap.tcp: expected the collector's IP address and port",
                          0) == 0);
  r = parse_config("[dnstap]\nsocket = \"\"\n", "d.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rfind("d.toml:2: dnstap.socket: expected the path of the collector's Unix "
                          "socket",
                          0) == 0);
  r = parse_config("[dnstap]\nsocket = \"/" + std::string(120, 'a') + "\"\n", "d.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("at most 107 octets") != std::string::npos);
  r = parse_config("[dnstap]\nsocket = \"/run/d.sock\"\nclient_queries = \"yes\"\nextra = 1\n",
                   "d.toml");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0] == "d.toml:3: dnstap.client_queries: expected true or false, got \"yes\"");
  CHECK(r.errors[1].rfind("d.toml:4: dnstap.extra: unknown key (expected one of: socket, tcp, "
                          "identity, version, client_queries, client_responses, "
                          "forwarder_queries, forwarder_responses)",
                          0) == 0);
  r = parse_config("[dnstap]\nidentity = \"\"\n", "d.toml");
  REQUIRE(!r.errors.empty());
  CHECK(r.errors[0].rfind("d.toml:2: dnstap.identity: expected a non-empty string", 0) == 0);
}

TEST_CASE("config: [dnstap] socket and tcp together are refused at the later key") {
  const auto r =
      parse_config("[dnstap]\nsocket = \"/run/d.sock\"\ntcp = \"127.0.0.1:6000\"\n", "d.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] ==
        "d.toml:3: dnstap.tcp: set either socket or tcp, not both: the proxy writes to one "
        "collector");
}

TEST_CASE("config: [dnstap] without socket or tcp warns that nothing is written") {
  const auto r = parse_config("[dnstap]\nidentity = \"ns1\"\n", "d.toml");
  REQUIRE(r.ok());
  CHECK_FALSE(r.config.dnstap.enabled());
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] ==
        "d.toml:1: dnstap: neither socket nor tcp is set: no dnstap messages are written");
}

}  // namespace
}  // namespace dnsp::config
