// tests/config/local_test.cc: [local] records, hosts_file and ttl (issue 17, local data), and
// their errors. The records' syntax is checked where they are parsed (resolver/local/, its
// tests in tests/resolver/local/): here, that each keeps the place it was written.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "config/load.h"

namespace dnsp::config {
namespace {

LoadResult load_toml(std::string_view toml) { return parse_config(toml, "FILE"); }
std::vector<std::string> errors_of(std::string_view toml) { return load_toml(toml).errors; }

TEST_CASE("local: records keep their text and place; hosts_file and ttl") {
  const LoadResult r = load_toml(
      "[local]\nrecords = [\n  \"printer.home.arpa. 300 A 192.168.1.20\",\n"
      "  \"nas.home.arpa. AAAA 2001:db8::30\",\n]\nhosts_file = \"/etc/hosts\"\nttl = 60\n");
  REQUIRE(r.ok());
  REQUIRE(r.config.local.records.size() == 2);
  CHECK(r.config.local.records[0].text == "printer.home.arpa. 300 A 192.168.1.20");
  CHECK(r.config.local.records[0].where == "FILE:3: local.records[0]");
  CHECK(r.config.local.records[1].where == "FILE:4: local.records[1]");
  CHECK(r.config.local.hosts_file == "/etc/hosts");
  CHECK(r.config.local.ttl == 60);
  CHECK_FALSE(r.config.local.empty());
  const LoadResult none = load_toml("");
  CHECK(none.config.local.empty());
  CHECK(none.config.local.ttl == 0);  // dnsmasq's default for hosts entries
}

TEST_CASE("local: errors name file, line and key") {
  CHECK(errors_of("[local]\nrecords = \"a. A 10.0.0.1\"\n") ==
        std::vector<std::string>{
            "FILE:2: local.records: expected an array of records, e.g. [\"printer.home.arpa. 300 "
            "A 192.168.1.20\"], got \"a. A 10.0.0.1\""});
  CHECK(errors_of("[local]\nrecords = [\"a. A 10.0.0.1\", 5]\n") ==
        std::vector<std::string>{
            "FILE:2: local.records[1]: expected a record in zone-file syntax, e.g. "
            "\"printer.home.arpa. 300 A 192.168.1.20\", got 5"});
  CHECK(errors_of("[local]\nhosts_file = \"\"\n") ==
        std::vector<std::string>{
            "FILE:2: local.hosts_file: expected a file path (a non-empty string), got \"\""});
  CHECK(errors_of("[local]\nttl = 90000\n") ==
        std::vector<std::string>{
            "FILE:2: local.ttl: expected an integer from 0 to 86400 (seconds), got 90000"});
  CHECK(errors_of("[local]\nrecord = []\n") ==
        std::vector<std::string>{
            "FILE:2: local.record: unknown key (expected one of: records, hosts_file, ttl)"});
}

}  // namespace
}  // namespace dnsp::config
