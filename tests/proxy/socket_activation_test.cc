// tests/proxy/socket_activation_test.cc: reading LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES
// (sd_listen_fds(3)) as proxy/socket_activation.h does, without a process to pass them.
#include "proxy/socket_activation.h"

#include <doctest/doctest.h>

namespace dnsp::proxy {
namespace {

TEST_CASE("socket activation: nothing passed without LISTEN_PID and LISTEN_FDS") {
  const ListenCount none = parse_listen_environment({}, 42);
  CHECK(none.count == 0);
  CHECK(none.error.empty());
  CHECK(parse_listen_environment({nullptr, "2", nullptr}, 42).count == 0);
}

TEST_CASE("socket activation: variables meant for another process are ignored") {
  const ListenCount other = parse_listen_environment({"41", "2", "a:b"}, 42);
  CHECK(other.count == 0);
  CHECK(other.error.empty());
}

TEST_CASE("socket activation: the count and the names, one per socket") {
  const ListenCount two = parse_listen_environment({"42", "2", "dns:dns-tcp"}, 42);
  CHECK(two.error.empty());
  REQUIRE(two.count == 2);
  CHECK(two.names == std::vector<std::string>{"dns", "dns-tcp"});
  const ListenCount unnamed = parse_listen_environment({"42", "3", nullptr}, 42);
  CHECK(unnamed.count == 3);
  CHECK(unnamed.names == std::vector<std::string>{"", "", ""});
  const ListenCount empty_name = parse_listen_environment({"42", "2", "dns:"}, 42);
  CHECK(empty_name.names == std::vector<std::string>{"dns", ""});
}

TEST_CASE("socket activation: bad values are errors that say what is wrong") {
  CHECK(parse_listen_environment({"x42", "1", nullptr}, 42).error ==
        "LISTEN_PID is not a process id: \"x42\"");
  CHECK(parse_listen_environment({"42", "0", nullptr}, 42).error ==
        "LISTEN_FDS is not a count of 1 to 1024 sockets: \"0\"");
  CHECK(parse_listen_environment({"42", "two", nullptr}, 42).error ==
        "LISTEN_FDS is not a count of 1 to 1024 sockets: \"two\"");
  const ListenCount mismatch = parse_listen_environment({"42", "2", "dns"}, 42);
  CHECK(mismatch.count == 0);
  CHECK(mismatch.error == "LISTEN_FDNAMES names 1 sockets but LISTEN_FDS says 2");
}

}  // namespace
}  // namespace dnsp::proxy
