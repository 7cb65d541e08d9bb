// tests/config/forward_test.cc: [[forward]] zones (split DNS) and [dnssec] private_zones
// (issue 17), and their errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/load.h"

namespace dnsp::config {
namespace {

// Errors name the source "FILE" (parse_config), as the file tests' errors are rewritten to.
LoadResult load_toml(std::string_view toml) { return parse_config(toml, "FILE"); }
std::vector<std::string> errors_of(std::string_view toml) { return load_toml(toml).errors; }

TEST_CASE("forward: zones with servers of any transport and a DNSSEC policy") {
  const LoadResult r = load_toml(
      "[[forward]]\nzone = \"Corp.Example.\"\nservers = [\"10.0.0.53\", "
      "\"tls://10.0.0.54#dns.corp.example\"]\ndnssec = \"insecure\"\n"
      "[[forward]]\nzone = \"10.in-addr.arpa\"\nservers = [\"https://dns.corp/q\"]\n"
      "[upstream.bootstrap]\n\"dns.corp\" = [\"10.0.0.55\"]\n");
  REQUIRE(r.ok());
  REQUIRE(r.config.forwards.size() == 2);
  CHECK(r.config.forwards[0].zone == "corp.example.");
  CHECK(r.config.forwards[0].dnssec == ForwardDnssec::Insecure);
  REQUIRE(r.config.forwards[0].servers.size() == 2);
  CHECK(to_string(r.config.forwards[0].servers[1]) == "tls://10.0.0.54:853#dns.corp.example");
  CHECK(r.config.forwards[1].zone == "10.in-addr.arpa.");
  CHECK(r.config.forwards[1].dnssec == ForwardDnssec::Validate);  // the default
  REQUIRE(r.config.forwards[1].servers.size() == 1);
  CHECK(r.config.forwards[1].servers[0].endpoint.address == "10.0.0.55");  // bootstrap
}

TEST_CASE("forward: errors name file, line and key") {
  CHECK(errors_of("[[forward]]\nzone = \".\"\nservers = [\"10.0.0.53\"]\n") ==
        std::vector<std::string>{
            "FILE:2: forward[0].zone: expected a domain name other than the root (the root is "
            "[upstream] servers), e.g. \"corp.example\" or \"10.in-addr.arpa\", got \".\""});
  CHECK(errors_of("[[forward]]\nzone = \"corp.example\"\n") ==
        std::vector<std::string>{
            "FILE:1: forward[0].servers: missing: e.g. servers = [\"10.0.0.53\"]"});
  CHECK(errors_of("[[forward]]\nzone = \"corp.example\"\nservers = [\"10.0.0.53\"]\n"
                  "dnssec = \"off\"\n") ==
        std::vector<std::string>{
            "FILE:4: forward[0].dnssec: expected \"validate\" or \"insecure\", got \"off\""});
  CHECK(errors_of("[[forward]]\nzone = \"corp.example\"\nservers = [\"nope\"]\n").size() == 1);
  CHECK(errors_of("[[forward]]\nzone = \"a.example\"\nservers = [\"10.0.0.53\"]\n"
                  "[[forward]]\nzone = \"A.example.\"\nservers = [\"10.0.0.54\"]\n") ==
        std::vector<std::string>{
            "FILE:4: forward[1].zone: expected each zone once, got a.example. again"});
  CHECK(errors_of("[[forward]]\nzone = \"a.example\"\nservers = [\"10.0.0.53\"]\nport = 1\n") ==
        std::vector<std::string>{
            "FILE:4: forward[0].port: unknown key (expected one of: zone, servers, dnssec)"});
}

TEST_CASE("private zones: the defaults with the built-in anchors, none with a file, or a list") {
  Config built_in;
  const auto zones = private_zones(built_in);
  CHECK(zones == kDefaultPrivateZones);
  for (const char* z :
       {"home.arpa.", "10.in-addr.arpa.", "16.172.in-addr.arpa.", "31.172.in-addr.arpa.",
        "168.192.in-addr.arpa.", "64.100.in-addr.arpa.", "127.100.in-addr.arpa.",
        "254.169.in-addr.arpa.", "d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "b.e.f.ip6.arpa.", "lan.",
        "home.", "internal.", "intranet.", "corp.", "private."}) {
    CHECK(std::find(zones.begin(), zones.end(), z) != zones.end());
  }
  Config with_file;
  with_file.trust_anchor_file = "/etc/dnssec-proxy/root.key";
  CHECK(private_zones(with_file).empty());
  const LoadResult listed = load_toml("[dnssec]\nprivate_zones = [\"Lan\", \"home.arpa\"]\n");
  REQUIRE(listed.ok());
  CHECK(private_zones(listed.config) == std::vector<std::string>{"lan.", "home.arpa."});
  const LoadResult none = load_toml("[dnssec]\nprivate_zones = []\n");
  REQUIRE(none.ok());
  CHECK(private_zones(none.config).empty());
  CHECK(errors_of("[dnssec]\nprivate_zones = [\"bad name\"]\n").size() == 1);
}

}  // namespace
}  // namespace dnsp::config
