// tests/config/metrics_test.cc: the [metrics] table (HTTP statistics listener): off by
// default, an address with a required port, errors with file, line and key.
#include <doctest/doctest.h>

#include <string>

#include "config/load.h"

namespace dnsp::config {
namespace {

TEST_CASE("config: [metrics] absent means no metrics listener") {
  const auto r = parse_config("", "p.toml");
  REQUIRE(r.ok());
  CHECK_FALSE(r.config.metrics_listen.has_value());
}

TEST_CASE("config: [metrics] listen takes IPv4 and IPv6 addresses with a port") {
  auto r = parse_config("[metrics]\nlisten = \"127.0.0.1:9153\"\n", "p.toml");
  REQUIRE(r.ok());
  REQUIRE(r.config.metrics_listen.has_value());
  CHECK(*r.config.metrics_listen == Endpoint{"127.0.0.1", 9153});
  r = parse_config("[metrics]\nlisten = \"[::1]:9153\"\n", "p.toml");
  REQUIRE(r.ok());
  CHECK(*r.config.metrics_listen == Endpoint{"::1", 9153});
}

TEST_CASE("config: [metrics] errors name file, line and key") {
  const auto r = parse_config("[metrics]\nlisten = \"127.0.0.1\"\n\n[metrics.extra]\n", "m.toml");
  REQUIRE(!r.errors.empty());
  CHECK(r.errors[0].rfind("m.toml:2: metrics.listen: expected an IP address and port", 0) == 0);
  const auto wrong_type = parse_config("[metrics]\nlisten = 9153\nport = 1\n", "m.toml");
  REQUIRE(wrong_type.errors.size() == 2);
  CHECK(wrong_type.errors[0].rfind("m.toml:2: metrics.listen: expected", 0) == 0);
  CHECK(wrong_type.errors[1].rfind("m.toml:3: ", 0) == 0);
  CHECK(wrong_type.errors[1].find("port") != std::string::npos);
}

}  // namespace
}  // namespace dnsp::config
