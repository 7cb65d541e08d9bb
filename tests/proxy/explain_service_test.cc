// tests/proxy: who may ask a running proxy for an explain trace (proxy/explain_service.h):
// TCP only, from this host only (loopback 127.0.0.0/8, ::1, IPv4-mapped 127/8, or a client
// whose address is the one it connected to); everyone else is REFUSED with an EDE that says
// why. The integration tests can only reach the proxy over loopback.
#include "proxy/explain_service.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <optional>
#include <string>

using namespace dnsp::proxy;
using dnsp::resolver::EdeCode;
using dnsp::resolver::Transport;

namespace {

SocketAddress v4(const char* text) {
  SocketAddress a;
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(53000);
  REQUIRE(inet_pton(AF_INET, text, &in->sin_addr) == 1);
  return a;
}

SocketAddress v6(const char* text) {
  SocketAddress a;
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(53000);
  REQUIRE(inet_pton(AF_INET6, text, &in6->sin6_addr) == 1);
  return a;
}

}  // namespace

TEST_CASE("explain service: loopback is 127.0.0.0/8, ::1 and IPv4-mapped 127/8") {
  for (const char* a : {"127.0.0.1", "127.255.255.254", "127.64.3.1"}) {
    CAPTURE(a);
    CHECK(is_loopback(v4(a).get()));
  }
  for (const char* a : {"::1", "::ffff:127.0.0.1"}) {
    CAPTURE(a);
    CHECK(is_loopback(v6(a).get()));
  }
  for (const char* a : {"10.0.0.1", "128.0.0.1", "0.0.0.0", "192.168.1.127"}) {
    CAPTURE(a);
    CHECK_FALSE(is_loopback(v4(a).get()));
  }
  for (const char* a : {"::", "::2", "fe80::1", "::ffff:10.0.0.1", "2001:db8::1"}) {
    CAPTURE(a);
    CHECK_FALSE(is_loopback(v6(a).get()));
  }
  CHECK_FALSE(is_loopback(nullptr));
}

TEST_CASE("explain service: a loopback TCP client is served") {
  CHECK_FALSE(explain_refusal(Transport::Tcp, {v4("127.0.0.1"), v4("127.0.0.1")}));
  CHECK_FALSE(explain_refusal(Transport::Tcp, {v4("127.0.0.2"), v4("127.0.0.1")}));
  CHECK_FALSE(explain_refusal(Transport::Tcp, {v6("::1"), v6("::1")}));
  CHECK_FALSE(explain_refusal(Transport::Tcp, {v4("127.0.0.1"), std::nullopt}));
}

TEST_CASE("explain service: a client connecting from the address it connects to is this host") {
  // A hostNetwork pod: the proxy listens on 169.254.20.10 only, kubectl exec connects to it.
  CHECK_FALSE(explain_refusal(Transport::Tcp, {v4("169.254.20.10"), v4("169.254.20.10")}));
  CHECK_FALSE(explain_refusal(Transport::Tcp, {v6("2001:db8::53"), v6("2001:db8::53")}));
  CHECK(explain_refusal(Transport::Tcp, {v4("169.254.20.11"), v4("169.254.20.10")}));
  CHECK(explain_refusal(Transport::Tcp, {v6("::ffff:169.254.20.10"), v4("169.254.20.10")}));
  CHECK(same_ip(v4("10.1.2.3").get(), v4("10.1.2.3").get()));
  CHECK_FALSE(same_ip(v4("10.1.2.3").get(), nullptr));
}

TEST_CASE("explain service: a client on another host is refused, EDE 18 saying why") {
  for (const SocketAddress& a : {v4("192.0.2.1"), v6("2001:db8::1"), v6("::ffff:10.1.2.3")}) {
    auto refusal =
        explain_refusal(Transport::Tcp, {a, a.is_ipv6() ? v6("2001:db8::53") : v4("192.0.2.53")});
    REQUIRE(refusal);
    CHECK(refusal->code == EdeCode::Prohibited);
    CHECK(refusal->text.find("clients on the proxy's own host only") != std::string::npos);
  }
  // Addresses we could not learn count as another host.
  CHECK(explain_refusal(Transport::Tcp, {}));
}

TEST_CASE("explain service: over UDP a trace is refused even from loopback (no amplification)") {
  auto refusal = explain_refusal(Transport::Udp, {v4("127.0.0.1"), v4("127.0.0.1")});
  REQUIRE(refusal);
  CHECK(refusal->code == EdeCode::NotSupported);
  CHECK(refusal->text.find("over TCP only") != std::string::npos);
}
