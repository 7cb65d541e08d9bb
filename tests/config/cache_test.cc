// tests/config/cache_test.cc: the [cache] table: defaults, every key read, range, type and
// unknown-key errors with file, line and key.
#include <doctest/doctest.h>

#include <string>

#include "config/load.h"

namespace dnsp::config {
namespace {

TEST_CASE("config: [cache] absent keeps 64 MiB, 60 s bogus TTL, one day max TTL, aggressive NSEC") {
  const auto r = parse_config("", "p.toml");
  REQUIRE(r.ok());
  CHECK(r.config.cache == CacheSettings{64u << 20, 60, 86400, false, 86400, true, true});
}

TEST_CASE("config: [cache] sets max_size, bogus_ttl and max_ttl") {
  const auto r =
      parse_config("[cache]\nmax_size = 2097152\nbogus_ttl = 0\nmax_ttl = 3600\n", "p.toml");
  REQUIRE(r.ok());
  CHECK(r.config.cache == CacheSettings{2097152, 0, 3600, false, 86400, true, true});
}

TEST_CASE("config: [cache] aggressive_nsec = false turns RFC 8198 synthesis off") {
  const auto r = parse_config("[cache]\naggressive_nsec = false\n", "p.toml");
  REQUIRE(r.ok());
  CHECK_FALSE(r.config.cache.aggressive_nsec);
}

TEST_CASE("config: [cache] aggressive_nsec of the wrong type names file, line and key") {
  const auto r = parse_config("[cache]\nmax_ttl = 60\naggressive_nsec = \"yes\"\n", "a.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rfind("a.toml:3: cache.aggressive_nsec: expected true or false", 0) == 0);
}

TEST_CASE("config: [cache] errors name file, line and key") {
  const auto r = parse_config(
      "[cache]\nmax_size = 1000\nbogus_ttl = \"short\"\nmax_ttl = 0\nsize = 5\n", "c.toml");
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].rfind("c.toml:2: cache.max_size: expected an integer from 1048576", 0) == 0);
  CHECK(r.errors[1].rfind("c.toml:3: cache.bogus_ttl: expected an integer from 0 to 3600", 0) == 0);
  CHECK(r.errors[2].rfind("c.toml:4: cache.max_ttl: expected an integer from 1 to 604800", 0) == 0);
  CHECK(r.errors[3].rfind("c.toml:5: ", 0) == 0);
  CHECK(r.errors[3].find("size") != std::string::npos);
}

TEST_CASE("config: [cache] serve_stale, max_stale and prefetch") {
  const auto r =
      parse_config("[cache]\nserve_stale = true\nmax_stale = 3600\nprefetch = false\n", "p.toml");
  REQUIRE(r.ok());
  CHECK(r.config.cache.serve_stale);
  CHECK(r.config.cache.max_stale == 3600);
  CHECK_FALSE(r.config.cache.prefetch);
  const auto bad =
      parse_config("[cache]\nserve_stale = \"yes\"\nmax_stale = 0\nprefetch = 1\n", "b.toml");
  REQUIRE(bad.errors.size() == 3);
  CHECK(bad.errors[0].rfind("b.toml:2: cache.serve_stale: expected true or false", 0) == 0);
  CHECK(bad.errors[1].rfind("b.toml:3: cache.max_stale: expected an integer from 1", 0) == 0);
  CHECK(bad.errors[2].rfind("b.toml:4: cache.prefetch: expected true or false", 0) == 0);
}

}  // namespace
}  // namespace dnsp::config
