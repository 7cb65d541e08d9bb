// tests/config/limits_test.cc: the [limits] table (validation cost limits, CVE-2023-50387
// and CVE-2023-50868): defaults, every key read, range and type errors with file, line, key.
#include <doctest/doctest.h>

#include <string>

#include "config/load.h"

namespace dnsp::config {
namespace {

TEST_CASE("config: [limits] absent keeps the built-in validation limits") {
  const auto r = parse_config("[log]\nlevel = \"info\"\n", "p.toml");
  REQUIRE(r.ok());
  const ValidationLimits& l = r.config.limits;
  CHECK(l.max_signature_checks == 64);
  CHECK(l.max_failed_checks_per_rrset == 16);
  CHECK(l.max_fetches == 48);
  CHECK(l.max_cname_chain == 12);
  CHECK(l.max_chain_depth == 24);
  CHECK(l.max_nsec3_iterations == 150);
  CHECK(l.max_nsec3_hashes == 200);
}

TEST_CASE("config: [limits] sets every validation limit") {
  const auto r = parse_config(
      "[limits]\nmax_signature_checks = 10\nmax_failed_checks_per_rrset = 2\nmax_fetches = 20\n"
      "max_cname_chain = 5\nmax_chain_depth = 8\nmax_nsec3_iterations = 0\n"
      "max_nsec3_hashes = 50\n",
      "p.toml");
  REQUIRE(r.ok());
  CHECK(r.config.limits == ValidationLimits{10, 2, 20, 5, 8, 0, 50});
  CHECK(r.warnings.empty());
}

TEST_CASE("config: [limits] max_keys_per_tag is accepted, ignored, and warned about") {
  const auto r = parse_config("[limits]\nmax_keys_per_tag = 4\n", "p.toml");
  REQUIRE(r.ok());
  CHECK(r.config.limits == ValidationLimits{});
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].starts_with("p.toml:2: limits.max_keys_per_tag: deprecated and ignored"));
  // Still checked as before, so an old file with a wrong value is not silently accepted.
  const auto bad = parse_config("[limits]\nmax_keys_per_tag = 0\n", "p.toml");
  CHECK(bad.errors.size() == 1);
}

TEST_CASE("config: [limits] out of range, wrong type or unknown key names file, line and key") {
  const auto r = parse_config(
      "[limits]\nmax_signature_checks = 0\nmax_failed_checks_per_rrset = \"many\"\n"
      "max_nsec3_iterations = 2501\nmax_sigs = 3\n",
      "p.toml");
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0] ==
        "p.toml:2: limits.max_signature_checks: expected an integer from 1 to 10000 (signature "
        "verifications per query), got 0");
  CHECK(r.errors[1] ==
        "p.toml:3: limits.max_failed_checks_per_rrset: expected an integer from 1 to 1000 (failed "
        "signature checks per RRset), got \"many\"");
  CHECK(r.errors[2] ==
        "p.toml:4: limits.max_nsec3_iterations: expected an integer from 0 to 2500 (NSEC3 "
        "iterations, RFC 9276), got 2501");
  CHECK(
      r.errors[3].starts_with("p.toml:5: limits.max_sigs: unknown key (expected one of: "
                              "max_signature_checks, max_failed_checks_per_rrset,"));
  // The valid default stays where the value was wrong.
  CHECK(r.config.limits.max_signature_checks == 64);
}

TEST_CASE("config: [limits] given as a value is reported") {
  const auto r = parse_config("limits = 5\n", "p.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == "p.toml:1: limits: expected a table [limits], got 5");
}

}  // namespace
}  // namespace dnsp::config
