// tests/config/config_test.cc: Config defaults, endpoints and log levels (config/config.h).
#include "config/config.h"

#include <doctest/doctest.h>

#include "config/command_line.h"
#include "config/load.h"
#include "config/resolv_conf.h"
#include "printers.h"

// The public headers must not drag toml++ into the rest of the project.
#if defined(TOML_VERSION_MAJOR) || defined(TOMLPLUSPLUS_H)
#error "a config/ public header includes toml++"
#endif

namespace dnsp::config {
namespace {

Endpoint endpoint(std::string_view text) {
  const std::optional<Endpoint> parsed = parse_endpoint(text, kDnsPort);
  REQUIRE_MESSAGE(parsed.has_value(), text);
  return *parsed;
}

TEST_CASE("config: built-in defaults") {
  const Config config;
  CHECK(config.listen == std::vector<Endpoint>{{"127.0.0.1", 53}, {"::1", 53}});
  CHECK(config.upstreams.empty());
  CHECK(config.upstream_timeout_ms == 1500);
  CHECK(config.upstream_attempts == 2);
  CHECK(config.query_timeout_ms == 5000);
  CHECK(config.tcp_idle_timeout_ms == 10000);
  CHECK(config.tcp_max_connections == 256);
  CHECK(config.tcp_max_queries_per_connection == 100);
  CHECK(config.max_queries_in_flight == 10000);
  CHECK(config.trust_anchor_file.empty());
  CHECK(config.log_level == LogLevel::Info);
  CHECK(config.source == "built-in defaults");
}

TEST_CASE("endpoint: IPv4 with and without port") {
  CHECK(endpoint("1.2.3.4") == Endpoint{"1.2.3.4", 53});
  CHECK(endpoint("1.2.3.4:5353") == Endpoint{"1.2.3.4", 5353});
  CHECK(endpoint("127.0.0.1:65535") == Endpoint{"127.0.0.1", 65535});
  CHECK(parse_endpoint("1.2.3.4", 5300) == Endpoint{"1.2.3.4", 5300});
}

TEST_CASE("endpoint: IPv6 bare, in brackets, in brackets with port") {
  CHECK(endpoint("::1") == Endpoint{"::1", 53});
  CHECK(endpoint("2001:db8::53") == Endpoint{"2001:db8::53", 53});
  CHECK(endpoint("[::1]") == Endpoint{"::1", 53});
  CHECK(endpoint("[::1]:5353") == Endpoint{"::1", 5353});
  CHECK(endpoint("[::ffff:192.0.2.1]:53") == Endpoint{"::ffff:192.0.2.1", 53});
  // Bare IPv6 has no port: the last group is part of the address.
  CHECK(endpoint("2001:db8::1:53") == Endpoint{"2001:db8::1:53", 53});
}

TEST_CASE("endpoint: addresses are stored in inet_ntop form") {
  CHECK(endpoint("::0001") == Endpoint{"::1", 53});
  CHECK(endpoint("[2001:DB8:0:0:0:0:0:1]:853") == Endpoint{"2001:db8::1", 853});
  CHECK(endpoint("1.2.3.4:053") == Endpoint{"1.2.3.4", 53});
}

TEST_CASE("endpoint: garbage, host names, scopes and bad ports are rejected") {
  for (const char* bad : {"",
                          "localhost",
                          "localhost:53",
                          "dns.example",
                          "1.2.3",
                          "1.2.3.4.5",
                          "256.1.1.1",
                          "01.2.3.4",
                          " 1.2.3.4",
                          "1.2.3.4 ",
                          "1.2.3.4:",
                          "1.2.3.4:0",
                          "1.2.3.4:65536",
                          "1.2.3.4:99999",
                          "1.2.3.4:-1",
                          "1.2.3.4:+53",
                          "1.2.3.4:5x",
                          "[1.2.3.4]:53",
                          "[::1",
                          "[::1]53",
                          "[::1]:",
                          "[::1]:0",
                          "[]:53",
                          "[::1]:70000",
                          "fe80::1%eth0",
                          "[fe80::1%eth0]:53",
                          ":::1",
                          "1.2.3.4:53:53",
                          "[[::1]]"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_endpoint(bad, kDnsPort).has_value());
  }
  CHECK_FALSE(parse_endpoint("1.2.3.4", 0).has_value());
}

TEST_CASE("endpoint: to_string puts IPv6 in brackets and reads back") {
  CHECK(to_string(Endpoint{"127.0.0.1", 53}) == "127.0.0.1:53");
  CHECK(to_string(Endpoint{"::1", 53}) == "[::1]:53");
  CHECK(to_string(Endpoint{"2001:db8::1", 5353}) == "[2001:db8::1]:5353");
  for (const char* text : {"127.0.0.1:53", "[::1]:53", "[2001:db8::1]:5353"}) {
    CHECK(to_string(endpoint(text)) == text);
  }
}

TEST_CASE("endpoint: normalize_address accepts literals only") {
  CHECK(normalize_address("::0001") == "::1");
  CHECK(normalize_address("10.0.0.1") == "10.0.0.1");
  CHECK_FALSE(normalize_address("[::1]").has_value());
  CHECK_FALSE(normalize_address("example.com").has_value());
  CHECK_FALSE(normalize_address("").has_value());
}

TEST_CASE("log level: the four names round-trip, anything else is rejected") {
  for (LogLevel level : {LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug}) {
    CHECK(parse_log_level(to_string(level)) == level);
  }
  CHECK(to_string(LogLevel::Warn) == "warn");
  for (const char* bad : {"", "INFO", "Info", "warning", "verbose", "trace", " info"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_log_level(bad).has_value());
  }
}

}  // namespace
}  // namespace dnsp::config
